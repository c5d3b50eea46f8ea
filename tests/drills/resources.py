"""Drills of resources that run out and work that piles up (issue 26):

- `disk-below-high-watermark`: the data directory, a volume of its own, filled until less than
  the high watermark is free for 30 s: writes are refused UNAVAILABLE and retryable, reads go
  on, and writes resume by themselves once the space is back;
- `disk-full`: the same volume filled to the last byte for 30 s (what the issue's `dd` did):
  the store, the logs and every service run out at once, and the stack must come back with
  no person once the file is deleted;
- `store-stopped-log-backoff`: the store stopped for 60 s with the runner's restarts held off:
  every failing loop keeps retrying, and what they log during the outage is counted;
- `fairness-burst`: 500 match suggestions queued in notifications, then a partnership's early
  warning: how long the warning takes to reach the inbox (the `urgent s` column)."""

from __future__ import annotations

import asyncio
import shutil
import signal
import time
from pathlib import Path
from typing import Any

from pymongo import MongoClient

from deploy.stack import Stack
from shared.contracts import MatchParty
from shared.unit_of_work import PROCESSED
from tests.drills.faults import signal_component
from tests.drills.harness import (
    REGISTER,
    Drill,
    DrillRun,
    Fault,
    Options,
    Row,
    audit,
    fault_drill,
    load,
    registration,
    supervised_stack,
)
from tests.support.audit import effects, missing
from tests.support.events import early_warning, produce, produce_many, suggestions
from tests.support.stack import Client, create_network

VOLUME_MB = 400
LOW_WATERMARK_MB = 120
HIGH_WATERMARK_MB = 60
FULL_SECONDS = 30.0
BURST = 500
WATERMARKS = {
    "disk_low_watermark": f"{LOW_WATERMARK_MB}MB",
    "disk_high_watermark": f"{HIGH_WATERMARK_MB}MB",
}
READ = "query($n: ID!) { network(id: $n) { id } }"


def ballast(directory: Path, leave_free: int) -> Path:
    """A file written (not sparse) into `directory` until `leave_free` bytes are free, or the
    volume is full."""
    path = directory / "drill-ballast"
    chunk = b"\0" * (1 << 20)
    with path.open("wb") as file:
        try:
            while (free := shutil.disk_usage(directory).free) > leave_free:
                file.write(chunk[: max(4096, min(len(chunk), free - leave_free))])
                file.flush()
        except OSError:  # ENOSPC: the volume is full, which is what a full disk is
            pass
    return path


def one_write_and_read(operator: Client, network_id: str) -> str:
    """What a registration and a read are answered while the disk is short: for the notes."""
    try:
        write = operator.execute(REGISTER, {"i": registration(network_id, 20_000)})
        read = operator.execute(READ, {"n": network_id})
    except Exception as error:  # the gateway itself may be unable to answer: say so
        return f"the probe got no answer: {error!r}"[:200]
    if not write.get("errors"):
        return "a registration was accepted (no refusal)"
    error = write["errors"][0]
    extensions = error.get("extensions") or {}
    return (
        f"a registration answered {extensions.get('code')}, retryable "
        f"{extensions.get('retryable')}: {error.get('message', '')[:90]!r}; a read answered "
        f"{'errors' if read.get('errors') else 'its data'}"
    )


def logs_size(stack: Stack) -> int:
    logs = stack.settings.data_dir / "logs"
    return sum(p.stat().st_size for p in logs.glob("*.log*") if p.is_file())


def disk_short(to_the_byte: bool) -> Fault:
    def fault(drill: Drill) -> None:
        directory = drill.stack.settings.data_dir
        network = create_network(drill.stack)
        operator = Client(drill.stack.graphql_url, network["operatorToken"])
        leave = 0 if to_the_byte else HIGH_WATERMARK_MB * 1_000_000 // 2
        logs_before = logs_size(drill.stack)
        filled = ballast(directory, leave)
        free = shutil.disk_usage(directory).free
        drill.note(
            f"volume filled to {free / 1e6:.1f} MB free ({filled.stat().st_size / 1e6:.0f} MB)"
        )
        time.sleep(2.0)  # every request reads the free space afresh, at most once a second
        drill.note(f"during: {one_write_and_read(operator, network['networkId'])}")
        time.sleep(FULL_SECONDS - 2.0)
        filled.unlink()
        drill.restored_at = time.monotonic()
        grown = (logs_size(drill.stack) - logs_before) / 1000
        restarts = {n: len(c.restarts) for n, c in drill.stack.components.items() if c.restarts}
        drill.note(
            f"space back after {FULL_SECONDS:.0f} s; logs grew {grown:.0f} KB meanwhile; "
            f"restarts by the runner: {restarts or 'none'}"
        )

    return fault


def log_lines(stack: Stack) -> dict[str, int]:
    return {
        name: sum(1 for _ in c.log_path.open("rb")) if c.log_path.exists() else 0
        for name, c in stack.components.items()
    }


def store_stopped_counting_logs(seconds: float) -> Fault:
    def fault(drill: Drill) -> None:
        before = log_lines(drill.stack)
        bytes_before = logs_size(drill.stack)
        signal_component(drill.stack, "mongo", signal.SIGSTOP)
        time.sleep(seconds)
        signal_component(drill.stack, "mongo", signal.SIGCONT)
        drill.restored_at = time.monotonic()
        after = log_lines(drill.stack)
        grown = {n: after[n] - before.get(n, 0) for n in after if after[n] != before.get(n, 0)}
        kilobytes = (logs_size(drill.stack) - bytes_before) / 1000
        drill.note(
            f"store stopped {seconds:.0f} s: {sum(grown.values())} log lines ({kilobytes:.0f} KB)"
            f" in all, per log {grown} (the issue measured ~11 MB a minute before the backoff)"
        )

    return fault


def registered_pair(stack: Stack) -> tuple[str, list[MatchParty]]:
    """Two organizations registered through the gateway in a network of their own, once
    notifications knows them: the network's id and the two as match parties."""
    network = create_network(stack)
    operator = Client(stack.graphql_url, network["operatorToken"])
    ids: dict[str, str] = {}
    for i in (1, 2):
        body = registration(network["networkId"], 10_000 + i) | {"name": f"Fair org {i}"}
        answer = operator.execute(REGISTER, {"i": body})
        ids[body["name"]] = answer["data"]["registerOrganization"]["organization"]["id"]
    give_up = time.monotonic() + 120
    while missing(effects(stack, list(ids.values())), list(ids.values())):
        if time.monotonic() > give_up:
            raise RuntimeError("the pair's welcomes did not arrive within 2 minutes")
        time.sleep(0.5)
    parties = [MatchParty(organization_id=o, name=n) for n, o in ids.items()]
    return network["networkId"], parties


def burst_then_warning(measured: dict[str, float]) -> Fault:
    def fault(drill: Drill) -> None:
        stack = drill.stack
        network_id, parties = registered_pair(stack)
        bootstrap = stack.settings.kafka_bootstrap
        queued = suggestions(network_id, parties, BURST)
        burst = asyncio.run(produce_many(bootstrap, "match.suggested", queued))
        warning = early_warning(network_id, [p.organization_id for p in parties])
        subject = warning.partnership.partnership_id
        asyncio.run(produce(bootstrap, "partnership.health_warning", subject, warning))
        published = time.monotonic()
        with MongoClient[dict[str, Any]](stack.settings.mongo_url) as mongo:
            database = mongo[stack.settings.database_name("notifications")]
            while database["inbox"].find_one({"subject_id": subject}) is None:
                if time.monotonic() - published > 300:
                    drill.note("the early warning did not reach the inbox within 5 minutes")
                    return
                time.sleep(0.05)
            measured["urgent s"] = time.monotonic() - published
            keys = [f"notifications:{event_id}" for event_id in burst]
            handled = database[PROCESSED].count_documents({"_id": {"$in": keys}})
        drill.note(
            f"early warning in the inbox {measured['urgent s']:.2f} s after it was published, "
            f"with {handled} of the {BURST} suggestions queued before it handled"
        )

    return fault


def fairness(name: str, options: Options) -> tuple[Row, list[str]]:
    measured: dict[str, float] = {}
    with supervised_stack(name, options) as drill:
        outcome = load(drill, burst_then_warning(measured))
        row = audit(drill, outcome)
    row["urgent s"] = f"{measured['urgent s']:.2f}" if "urgent s" in measured else "never"
    return row, drill.notes


DRILLS: dict[str, DrillRun] = {
    "disk-below-high-watermark": fault_drill(
        disk_short(to_the_byte=False), volume_mb=VOLUME_MB, **WATERMARKS
    ),
    "disk-full": fault_drill(disk_short(to_the_byte=True), volume_mb=VOLUME_MB, **WATERMARKS),
    "store-stopped-log-backoff": fault_drill(
        store_stopped_counting_logs(60.0), health_failures=1000
    ),
    "fairness-burst": fairness,
}
