"""`commonweave traces` on a span store of a given size: writes synthetic traces shaped like
the stack's (a GraphQL mutation fanning out over HTTP, MongoDB and Kafka to three consumers,
about 1 kB per span as the file exporter writes them), then times the CLI as an operator runs
it, each call a fresh process: the list, one trace by a 12-character prefix, and the list
again after more spans were appended.

    python -m bench.traces_cli [--megabytes 2] [--runs 3] [--via-cli]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

MS = 1_000_000
SHAPE = [  # (parent index, name, service, kind, start ms, end ms)
    (None, "POST /graphql", "gateway", "SERVER", 0, 120),
    (0, "POST", "gateway", "CLIENT", 5, 100),
    (1, "POST /organizations", "intake", "SERVER", 10, 95),
    (2, "commonweave_intake.find", "intake", "CLIENT", 12, 15),
    (2, "commonweave_intake.insert", "intake", "CLIENT", 20, 30),
    (2, "commonweave_intake.commitTransaction", "intake", "CLIENT", 30, 34),
    (2, "organization.registered create", "intake", "PRODUCER", 40, 40),
    (6, "organization.registered publish", "intake", "PRODUCER", 40, 45),
    (7, "organization.registered process", "matching", "CONSUMER", 50, 115),
    (8, "commonweave_matching.update", "matching", "CLIENT", 60, 70),
    (7, "organization.registered process", "notifications", "CONSUMER", 55, 80),
    (10, "commonweave_notifications.insert", "notifications", "CLIENT", 60, 64),
    (7, "organization.registered process", "commitments", "CONSUMER", 52, 70),
]


def trace_lines(rng: random.Random, start_ns: int) -> dict[str, list[str]]:
    trace_id = f"{rng.getrandbits(128):032x}"
    ids = [f"{rng.getrandbits(64):016x}" for _ in SHAPE]
    out: dict[str, list[str]] = {}
    for i, (parent, name, service, kind, start, end) in enumerate(SHAPE):
        attributes: dict[str, Any] = {
            "messaging.system": "kafka",
            "messaging.destination.name": "organization.registered",
            "messaging.kafka.message.key": f"org_{rng.getrandbits(40):010x}",
            "messaging.message.id": f"{rng.getrandbits(128):032x}",
            "db.system.name": "mongodb",
            "db.namespace": f"commonweave_{service}",
            "db.collection.name": "organizations",
            "db.query.text": json.dumps({"filter": {"_id": "x" * 200}, "limit": 1}),
            "server.address": "127.0.0.1",
            "server.port": 27017,
            "url.full": "http://127.0.0.1:8001/organizations?network=net_" + "y" * 120,
            "http.request.method": "POST",
            "http.response.status_code": 200,
        }
        line = {
            "trace_id": trace_id,
            "span_id": ids[i],
            "parent_id": ids[parent] if parent is not None else None,
            "name": name,
            "service": service,
            "kind": kind,
            "start": start_ns + start * MS,
            "end": start_ns + end * MS,
            "status": "UNSET",
            "attributes": attributes,
        }
        out.setdefault(service, []).append(json.dumps(line))
    return out


def write_spans(directory: Path, megabytes: float, seed: int, t0: int) -> int:
    """Appends traces to `<service>.jsonl` until `megabytes` were written; answers the count."""
    rng, written, count = random.Random(seed), 0, 0
    files = {}
    try:
        while written < megabytes * 1e6:
            for service, lines in trace_lines(rng, t0 + count * 1000 * MS).items():
                if service not in files:
                    files[service] = (directory / f"{service}.jsonl").open("a")
                text = "\n".join(lines) + "\n"
                files[service].write(text)
                written += len(text)
            count += 1
    finally:
        for handle in files.values():
            handle.close()
    return count


# the `commonweave` script's own code; `--via-cli`: as it started before (all of deploy.cli)
ENTRY = "from deploy.entry import main; main()"
BEFORE = "from deploy.cli import app; app()"


def timed(args: list[str], entry: str = ENTRY) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one call. The CPU time is what the call costs
    on a shared machine whose load stretches the wall time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", entry, "traces", *args],
        capture_output=True,
        text=True,
        check=True,
        env={"COLUMNS": "200", "PATH": ""},
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert done.stdout
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def report(label: str, runs: list[tuple[float, float]]) -> None:
    wall, cpu = zip(*runs, strict=True)
    later_wall, later_cpu = statistics.median(wall[1:] or wall), statistics.median(cpu[1:] or cpu)
    print(
        f"  {label}: first {wall[0]:.2f} s wall / {cpu[0]:.2f} s CPU, "
        f"then median {later_wall:.2f} s wall / {later_cpu:.2f} s CPU"
    )


def arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    parser.add_argument("--megabytes", type=float, default=2.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--via-cli", action="store_true", help="start as deploy.cli (the entry point before)"
    )
    return parser


def run(options: argparse.Namespace) -> None:
    entry = BEFORE if options.via_cli else ENTRY
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "traces"
        directory.mkdir()
        t0 = time.time_ns() - 86_400 * 10**9
        count = write_spans(directory, options.megabytes, 1, t0)
        some = json.loads((directory / "gateway.jsonl").read_text().splitlines()[count // 2])
        base = ["--dir", str(directory)]
        print(f"{count} traces, {count * len(SHAPE)} spans, {options.megabytes} MB")
        report("start-up (--help)", [timed(["--help"], entry) for _ in range(options.runs)])
        for label, args in (
            ("list", base),
            ("one trace by prefix", [some["trace_id"][:12], *base]),
            ("list, --service matching --min-ms 50", [*base, "-s", "matching", "--min-ms", "50"]),
        ):
            report(label, [timed(args, entry) for _ in range(options.runs)])
        write_spans(directory, 0.1, 2, t0 + count * 1000 * MS)
        report("list after appending 0.1 MB", [timed(base, entry)])


def main() -> None:
    run(arguments().parse_args())


if __name__ == "__main__":
    main()
