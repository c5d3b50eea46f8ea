"""Where a registration's time goes: 8 clients register organizations through GraphQL in a
closed loop (each sends the next as soon as the last is answered) against an embedded stack
of its own; the CPU seconds of every process are read from /proc before and after, and
divided by the registrations answered, and so are the document store's own operation counters
(`serverStatus` opcounters and `top`'s per collection, bench/store_ops.py). The stack's idle
CPU and operations (its polling, measured for a few seconds before the load, in the same run)
are taken off, and the load is followed by the time
the consumers take to work off what it queued (until the CPU is back to idle and the inbox
has stopped growing), so the figure
is the work one registration causes whatever the throughput. The baseline is the same run's total.

    python -m bench.cpu_per_registration [--seconds 20] [--clients 8]"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from pymongo import MongoClient
from pymongo.collection import Collection

from bench import _spy, store_ops
from bench.pipeline import REGISTER, graphql, percentile, registration
from deploy.stack import Stack
from tests.support.organizations import MISSIONS, Regions
from tests.support.stack import create_network, stack_settings

IDLE_SECONDS = 6.0
DRAIN_SECONDS = 120.0
PROFILED = ["mongo", "intake", "gateway"]  # the front door's share of a registration
QUIET_SECONDS = 12.0  # no new inbox row for this long: the fan-out is worked off


def drain(stack: Stack, idle_rate: float, at_most: float, quiet: float = QUIET_SECONDS) -> float:
    """Waits until the consumers have worked off what the load queued, at most `at_most`
    seconds: the stack is back to its idle CPU rate, and no inbox row has been added for
    `quiet` seconds (matching's suggestions come in steps, after a pause: a drain that ended
    at the first idle second left some of their work out of the figure)."""
    last, began = sum(cpu_seconds(stack).values()), time.perf_counter()
    rows, changed = inbox_rows(stack), began
    while time.perf_counter() - began < at_most:
        time.sleep(1.0)
        now, count = sum(cpu_seconds(stack).values()), inbox_rows(stack)
        if count != rows:
            rows, changed = count, time.perf_counter()
        idle = now - last < idle_rate * 1.5 + 0.05
        if idle and time.perf_counter() - changed >= quiet:
            break
        last = now
    return time.perf_counter() - began


def inbox_rows(stack: Stack) -> int:
    return sum(messages_by_kind(stack).values())


def cpu_seconds(stack: Stack) -> dict[str, float]:
    ticks = os.sysconf("SC_CLK_TCK")
    found: dict[str, float] = {}
    for name, component in stack.components.items():
        if component.process is None:
            continue
        fields = Path(f"/proc/{component.process.pid}/stat").read_text().split()
        found[name] = (int(fields[13]) + int(fields[14])) / ticks  # utime + stime
    return found


async def closed_loop(
    stack: Stack, seconds: float, clients: int, network_size: int = 0
) -> list[float]:
    # network_size 0: one network, all alike (the bench's first shape); else regional
    # networks of that size with eight kinds of mission, as the soak registers them
    regions = Regions(stack, create_network(stack, name="CPU Network"), network_size)
    latencies: list[float] = []
    end = time.perf_counter() + seconds
    async with httpx.AsyncClient(timeout=60) as http:

        async def client(k: int) -> None:
            i = 0
            while time.perf_counter() < end:
                sent = time.perf_counter()
                net, n = regions.for_newcomers(), k * 100_000 + i
                body = registration(net["networkId"], n)
                if network_size:
                    body |= {"mission": MISSIONS[n % len(MISSIONS)]}
                variables = {"i": body}
                await graphql(http, stack.graphql_url, net["operatorToken"], REGISTER, variables)
                latencies.append((time.perf_counter() - sent) * 1000)
                i += 1

        await asyncio.gather(*(client(k) for k in range(clients)))
    return latencies


def messages_by_kind(stack: Stack) -> dict[str, int]:
    """Inbox rows (one per member told) by event kind, in the whole stack."""
    client: MongoClient[dict[str, Any]]
    with MongoClient(stack.settings.mongo_url) as client:
        inbox: Collection[dict[str, Any]]
        inbox = client[stack.settings.database_name("notifications")]["inbox"]
        rows: list[dict[str, Any]] = list(
            inbox.aggregate([{"$group": {"_id": "$kind", "n": {"$sum": 1}}}])
        )
        return {row["_id"]: int(row["n"]) for row in rows}


def arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--idle-seconds", type=float, default=IDLE_SECONDS)
    parser.add_argument("--drain-seconds", type=float, default=DRAIN_SECONDS)
    parser.add_argument("--quiet-seconds", type=float, default=QUIET_SECONDS)
    parser.add_argument(
        "--profile", type=Path, help="py-spy of the store, intake and gateway into this folder"
    )
    parser.add_argument(
        "--network-size",
        type=int,
        default=0,
        help="regional networks of this many, eight kinds of mission (0: one network, all alike)",
    )
    return parser


def run(stack: Stack, args: argparse.Namespace) -> None:
    url = stack.settings.mongo_url
    told_before = messages_by_kind(stack)
    idle_before, idle_began = cpu_seconds(stack), time.perf_counter()
    idle_ops = store_ops.idle(url, args.idle_seconds)
    before, began = cpu_seconds(stack), time.perf_counter()
    ops_before = store_ops.read(url)
    idle_elapsed = began - idle_began
    idle = {n: (before[n] - idle_before.get(n, 0.0)) / idle_elapsed for n in before}
    with _spy.spying(stack, PROFILED, args.profile, "registration", raw=True):
        latencies = asyncio.run(closed_loop(stack, args.seconds, args.clients, args.network_size))
    load_elapsed = time.perf_counter() - began
    drained = drain(stack, sum(idle.values()), args.drain_seconds, args.quiet_seconds)
    elapsed, after = time.perf_counter() - began, cpu_seconds(stack)
    ops_after = store_ops.read(url)
    done = len(latencies)
    print(
        f"{done} registrations in {load_elapsed:.1f}s = {done / load_elapsed:.1f}/s with "
        f"{args.clients} clients; p50 {percentile(latencies, 50):.0f} ms, "
        f"p99 {percentile(latencies, 99):.0f} ms"
    )
    spent = {
        name: max(0.0, after[name] - before.get(name, 0.0) - idle.get(name, 0.0) * elapsed)
        for name in after
    }
    print(
        f"  the fan-out worked off {drained:.0f}s after the load (the last inbox row, then "
        f"{args.quiet_seconds:.0f}s quiet); idle: {sum(idle.values()) * 100:.0f}% of a core, "
        "taken off below"
    )
    total = sum(spent.values())
    for name, seconds in sorted(spent.items(), key=lambda item: -item[1]):
        share = seconds / total
        print(f"  {name:<14} {seconds / done * 1000:5.1f} ms CPU per registration ({share:.0%})")
    print(f"  {'total':<14} {total / done * 1000:5.1f} ms CPU per registration")
    store_ops.report(ops_after - ops_before - idle_ops.over(elapsed), done)
    told = Counter(messages_by_kind(stack)) - Counter(told_before)
    kinds = ", ".join(f"{kind} {n / done:.1f}" for kind, n in sorted(told.items()))
    print(f"  messages per registration (inbox rows): {told.total() / done:.1f} ({kinds})")
    if args.profile is not None:
        for name in PROFILED:
            print(f"  where {name}'s time went under the load (on the stack / on top):")
            for frame, inclusive, own in _spy.top_frames(args.profile / f"registration-{name}.txt"):
                print(f"    {inclusive:4.0%} {own:4.0%}  {frame}")


def main() -> None:
    args = arguments().parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        settings = stack_settings(Path(data_dir), gateway_rate_per_second=1000.0)
        with Stack(settings, report=lambda line: None) as stack:
            time.sleep(3)  # past the start-up work
            run(stack, args)


if __name__ == "__main__":
    main()
