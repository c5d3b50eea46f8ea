"""Benches that cannot rot: every module in bench/ runs once with tiny parameters, the ones
that need a stack against this session's, and must finish and print its figures (a smoke
run: the figures are not held to anything here; BENCHMARKS.md records real runs)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from deploy.stack import Stack

BENCH = Path(__file__).resolve().parents[3] / "bench"
# module -> (tiny arguments, a phrase its figures print)
TINY: dict[str, tuple[list[str], str]] = {
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
WITHOUT_STACK: dict[str, tuple[list[str], str]] = {
    "matching": (
        ["--organizations", "300", "--queries", "5", "--naive-queries", "2"],
        "read model load from SecantusDB",
    ),
    "or_queries": (["--documents", "400", "--steps", "2", "--queries", "2"], "of the time"),
    "restart": (
        ["--history", "2", "--seconds", "1", "--clients", "2", "--settle-seconds", "0"],
        "sent again",
    ),
    "retryable_writes": (["--writes", "1000"], "a retryable write costs"),
    "store_transactions": (
        ["--clients", "1", "--processes", "2", "--seconds", "0.5"],
        "the transactions per second",
    ),
    "traces_cli": (["--megabytes", "0.05", "--runs", "1"], "one trace by prefix"),
}


HELPERS = {"store_ops"}  # what the benches share, no bench of its own


def test_every_bench_module_has_a_smoke_run() -> None:
    modules = {p.stem for p in BENCH.glob("*.py") if not p.stem.startswith("_")}
    assert modules == set(TINY) | set(WITHOUT_STACK) | HELPERS


@pytest.mark.parametrize("name", sorted(TINY))
def test_bench_runs_against_a_stack(
    name: str, stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    module = importlib.import_module(f"bench.{name}")
    arguments, figure = TINY[name]
    module.run(stack, module.arguments().parse_args(arguments))
    assert figure in capsys.readouterr().out


@pytest.mark.parametrize("name", sorted(WITHOUT_STACK))
def test_bench_runs_on_its_own(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    module = importlib.import_module(f"bench.{name}")
    arguments, figure = WITHOUT_STACK[name]
    module.run(module.arguments().parse_args(arguments))
    assert figure in capsys.readouterr().out
