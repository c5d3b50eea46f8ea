"""Every bench in bench/ with tiny parameters and a phrase its figures print: smoke runs that
keep the benches from rotting (the figures are not held to anything; BENCHMARKS.md records real
runs). The integration suite runs those that need a stack, or none; the fault suite runs the
one that starts and restarts stacks of its own."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

# module -> (tiny arguments, a phrase its figures print)
Tiny = dict[str, tuple[list[str], str]]

BENCH = Path(__file__).resolve().parents[2] / "bench"
TINY: Tiny = {
    "cpu_per_registration": (
        [
            *("--seconds", "1", "--clients", "2", "--idle-seconds", "0.5"),
            *("--drain-seconds", "5", "--quiet-seconds", "1"),
        ],
        "store operations per registration",  # printed after the CPU figures
    ),
    "gateway_load": (
        ["--seconds", "1", "--concurrency", "2", "--warm-up-seconds", "0.2"],
        "the time of bare strawberry",
    ),
    "intake_import": (["--rows", "50"], "first import"),
    "notify_latency": (["--events", "3", "--rate", "10"], "reached the inbox"),
    "pipeline": (
        [
            *("--rate", "5", "--seconds", "1", "--partnerships", "1"),
            *("--ceiling-inserts", "80", "--idle-seconds", "0.5", "--drain-seconds", "5"),
        ],
        "welcome in the inbox",
    ),
}
WITHOUT_STACK: Tiny = {
    "matching": (
        ["--organizations", "300", "--queries", "5", "--naive-queries", "2"],
        "read model load from SecantusDB",
    ),
    "or_queries": (["--documents", "400", "--steps", "2", "--queries", "2"], "of the time"),
    "retryable_writes": (["--writes", "1000"], "a retryable write costs"),
    "store_transactions": (
        ["--clients", "1", "--processes", "2", "--seconds", "0.5"],
        "the transactions per second",
    ),
    "traces_cli": (["--megabytes", "0.05", "--runs", "1"], "one trace by prefix"),
}


# stacks of its own, started and stopped again on their data: a fault drill in small
ON_ITS_OWN_DATA: Tiny = {
    "restart": (
        ["--history", "2", "--seconds", "1", "--clients", "2", "--settle-seconds", "0"],
        "sent again",
    ),
}
HELPERS = {"store_ops"}  # what the benches share, no bench of its own


def every_bench_module() -> set[str]:
    return {p.stem for p in BENCH.glob("*.py") if not p.stem.startswith("_")}


def run_tiny(name: str, table: Tiny, *before: Any) -> str:
    """Runs the bench `name` with its tiny arguments (after `before`, e.g. a stack); the phrase
    its figures must print."""
    module = importlib.import_module(f"bench.{name}")
    arguments, figure = table[name]
    module.run(*before, module.arguments().parse_args(arguments))
    return figure
