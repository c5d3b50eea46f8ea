"""The pipeline under load, on an embedded stack of its own (as `make run` starts it):

1. start-up: the runner starting → every service ready (the URL printed);
2. the store's ceiling: plain PyMongo inserts per second into the same server (8 at once),
   the baseline the other figures are divided by;
3. registrations through GraphQL at a fixed rate (open loop: requests leave on schedule
   whether or not earlier ones have answered): answered per second, latency p50/p99, and the
   welcome in the admin's inbox after the response (the inbox row's `created_at`, stamped in
   the consumer's transaction, minus the moment the response arrived);
   and the store operations per registration, from the store's own counters once the
   consumers have worked off the fan-out (bench/store_ops.py; the idle rate taken off);
4. a write-heavy partnership mix at the same rate: check-ins, commitments, contributions.

    python -m bench.pipeline [--rate 50] [--seconds 60] [--partnerships 10]"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from pymongo import AsyncMongoClient, MongoClient
from pymongo.collection import Collection
from pymongo.database import Database

from bench import _spy, store_ops
from deploy.stack import Stack
from tests.support.stack import create_network, stack_settings

PROFILED = ["mongo", "notifications", "intake"]  # the welcome's path
REGISTER = """mutation($i: RegisterOrganizationInput!) {
  registerOrganization(input: $i) { adminToken organization { id } } }"""
FORM = """mutation($i: FormPartnershipInput!) { formPartnership(input: $i) { id } }"""
CHECK_IN = """mutation($i: RecordCheckInInput!) { recordCheckIn(input: $i) { id } }"""
COMMIT = """mutation($i: MakeCommitmentInput!) { makeCommitment(input: $i) { id } }"""
CONTRIBUTE = """mutation($i: LogContributionInput!) { logContribution(input: $i) { id } }"""


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    answered_at: dict[str, float] = field(default_factory=dict)  # subject → wall clock
    seconds: float = 0.0

    def report(self, name: str, ceiling: float) -> None:
        done = len(self.latencies)
        rate = done / self.seconds
        print(
            f"{name}: {done} answered in {self.seconds:.1f}s = {rate:.1f}/s "
            f"({rate / ceiling:.1%} of the store's insert ceiling), {len(self.errors)} errors; "
            f"latency p50 {percentile(self.latencies, 50):.0f} ms, "
            f"p99 {percentile(self.latencies, 99):.0f} ms, max {max(self.latencies):.0f} ms"
        )
        for error in sorted(set(self.errors))[:5]:
            print(f"  error: {error}")


def percentile(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


async def graphql(
    http: httpx.AsyncClient, url: str, token: str, query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    response = await http.post(
        url,
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    body: dict[str, Any] = response.json()
    if body.get("errors"):
        raise RuntimeError(body["errors"][0].get("message", "?"))
    data: dict[str, Any] = body["data"]
    return data


async def open_loop(rate: float, seconds: float, request: Callable[[int], Awaitable[Any]]) -> Load:
    """Sends `request(i)` at `rate` per second for `seconds`, on schedule."""
    load = Load()
    began = time.perf_counter()

    async def one(i: int) -> None:
        await asyncio.sleep(max(0.0, began + i / rate - time.perf_counter()))
        sent = time.perf_counter()
        try:
            await request(i)
            load.latencies.append((time.perf_counter() - sent) * 1000)
        except Exception as exc:
            load.errors.append(str(exc)[:120])

    await asyncio.gather(*(one(i) for i in range(int(rate * seconds))))
    load.seconds = time.perf_counter() - began
    return load


async def insert_ceiling(url: str, count: int = 3000, lanes: int = 8) -> float:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url)
    collection = client["bench_ceiling"][uuid.uuid4().hex]
    began = time.perf_counter()

    async def lane() -> None:
        for _ in range(count // lanes):
            await collection.insert_one({"at": datetime.now(UTC), "pad": "x" * 200})

    await asyncio.gather(*(lane() for _ in range(lanes)))
    rate = count / (time.perf_counter() - began)
    await client.drop_database("bench_ceiling")
    await client.close()
    return rate


def registration(network_id: str, i: int) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    return {
        "networkId": network_id,
        "name": f"Bench Org {i} {tag}",
        "mission": "Tutoring and meals for families after school",
        "focusAreas": ["education"],
        "offers": [{"kind": "VOLUNTEERS", "description": "tutors"}],
        "admin": {"name": "Bench Admin", "email": f"admin-{tag}@bench.org"},
    }


async def registrations(stack: Stack, rate: float, seconds: float) -> Load:
    net = create_network(stack, name="Bench Network")
    answered_at: dict[str, float] = {}
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=64)) as http:

        async def register(i: int) -> None:
            data = await graphql(
                http,
                stack.graphql_url,
                net["operatorToken"],
                REGISTER,
                {"i": registration(net["networkId"], i)},
            )
            answered_at[data["registerOrganization"]["organization"]["id"]] = time.time()

        load = await open_loop(rate, seconds, register)
    load.answered_at = answered_at
    return load


WELCOME_STEPS = (
    "intake's response -> its relay publishes",
    "published -> notifications starts handling",
    "notifications handles it",
)


def first_span(trace: list[dict[str, Any]], service: str, name: str) -> dict[str, Any] | None:
    found = [s for s in trace if s["service"] == service and s["name"] == name]
    return min(found, key=lambda s: int(s["start"])) if found else None


def welcome_path(trace_dir: Path) -> dict[str, list[float]]:
    """Milliseconds of each step from intake's response to notifications' handling of the
    registration's event, per traced registration, from the stack's span files."""
    wanted = ("POST /organizations", "organization.registered")
    spans: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(trace_dir.glob("*.jsonl")):
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                if any(name in line for name in wanted):
                    with contextlib.suppress(ValueError):
                        span = json.loads(line)
                        spans.setdefault(span["trace_id"], []).append(span)
    steps: dict[str, list[float]] = {step: [] for step in WELCOME_STEPS}
    for trace in spans.values():
        answered = first_span(trace, "intake", "POST /organizations")
        published = first_span(trace, "intake", "organization.registered publish")
        handled = first_span(trace, "notifications", "organization.registered process")
        if answered and published and handled:
            ends = [answered["end"], published["start"], published["end"], handled["start"]]
            steps[WELCOME_STEPS[0]].append((ends[1] - ends[0]) / 1e6)
            steps[WELCOME_STEPS[1]].append((ends[3] - ends[2]) / 1e6)
            steps[WELCOME_STEPS[2]].append((handled["end"] - handled["start"]) / 1e6)
    return steps


def welcome_delays(stack: Stack, answered_at: dict[str, float], wait: float = 30.0) -> list[float]:
    """Milliseconds from each registration's response to its welcome's inbox row."""
    mongo: MongoClient[dict[str, Any]]
    with MongoClient(stack.settings.mongo_url, tz_aware=True) as mongo:
        database: Database[dict[str, Any]] = mongo[stack.settings.database_name("notifications")]
        inbox: Collection[dict[str, Any]] = database["inbox"]
        query = {"kind": "organization.registered", "subject_id": {"$in": list(answered_at)}}
        deadline = time.monotonic() + wait
        while True:
            rows = list(inbox.find(query, {"subject_id": 1, "created_at": 1}))
            if len({r["subject_id"] for r in rows}) == len(answered_at):
                break
            if time.monotonic() > deadline:
                print(f"  {len(answered_at) - len(rows)} welcomes missing after {wait:.0f}s")
                break
            time.sleep(0.5)
    first: dict[str, datetime] = {}
    for row in rows:
        first[row["subject_id"]] = min(
            first.get(row["subject_id"], row["created_at"]), row["created_at"]
        )
    return [max(0.0, (first[s].timestamp() - answered_at[s]) * 1000) for s in first]


async def partnership_mix(stack: Stack, rate: float, seconds: float, count: int) -> Load:
    net = create_network(stack, name="Bench Partnerships")
    url, operator = stack.graphql_url, net["operatorToken"]
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=64)) as http:
        pairs = []
        for i in range(count):
            orgs = [
                await graphql(
                    http, url, operator, REGISTER, {"i": registration(net["networkId"], i)}
                )
                for _ in range(2)
            ]
            ids = [o["registerOrganization"]["organization"]["id"] for o in orgs]
            token = orgs[0]["registerOrganization"]["adminToken"]
            found = await graphql(
                http, url, token, FORM, {"i": {"name": f"P{i}", "organizationIds": ids}}
            )
            pairs.append((found["formPartnership"]["id"], ids[0], token))
        kinds = itertools.cycle(("check-in", "commitment", "contribution"))
        plan = [(random.choice(pairs), next(kinds)) for _ in range(int(rate * seconds))]
        soon = (datetime.now(UTC) + timedelta(days=14)).isoformat()

        async def write(i: int) -> None:
            (pid, org, token), kind = plan[i]
            if kind == "check-in":
                held = datetime.now(UTC).isoformat()
                variables = {"partnershipId": pid, "heldAt": held, "updates": ["on track"]}
                await graphql(http, url, token, CHECK_IN, {"i": variables})
            elif kind == "commitment":
                variables = {
                    "partnershipId": pid,
                    "ownerOrganizationId": org,
                    "title": f"Task {i}",
                    "dueAt": soon,
                }
                await graphql(http, url, token, COMMIT, {"i": variables})
            else:
                variables = {
                    "partnershipId": pid,
                    "organizationId": org,
                    "kind": "VOLUNTEER_HOURS",
                    "quantity": 2,
                    "unit": "hours",
                }
                await graphql(http, url, token, CONTRIBUTE, {"i": variables})

        return await open_loop(rate, seconds, write)


def arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--partnerships", type=int, default=10)
    # the store's ceiling, its idle rate and the wait for it to settle: smaller in a smoke run
    parser.add_argument("--ceiling-inserts", type=int, default=3000)
    parser.add_argument("--idle-seconds", type=float, default=3.0)
    parser.add_argument("--drain-seconds", type=float, default=120.0)
    parser.add_argument(
        "--profile", type=Path, help="py-spy of the store and notifications into this folder"
    )
    return parser


def run(stack: Stack, args: argparse.Namespace) -> None:
    ceiling = asyncio.run(insert_ceiling(stack.settings.mongo_url, args.ceiling_inserts))
    print(f"store ceiling: {ceiling:.0f} plain PyMongo inserts/s (8 at once)")
    url = stack.settings.mongo_url
    idle = store_ops.idle(url, args.idle_seconds)
    before, began = store_ops.read(url), time.perf_counter()
    with _spy.spying(stack, PROFILED, args.profile, "pipeline", raw=True):
        load = asyncio.run(registrations(stack, args.rate, args.seconds))
        load.report(f"registrations at {args.rate:.0f}/s", ceiling)
        delays = welcome_delays(stack, load.answered_at)
    print(
        f"welcome in the inbox after the response: p50 {percentile(delays, 50):.0f} ms, "
        f"p99 {percentile(delays, 99):.0f} ms, max {max(delays, default=0):.0f} ms "
        f"({len(delays)} welcomes)"
    )
    path = welcome_path(stack.settings.trace_dir)
    print(f"  where the welcome's time went ({len(path[WELCOME_STEPS[0]])} traced):")
    for step, delays in path.items():
        print(
            f"    {step:<44} p50 {percentile(delays, 50):7.0f} ms, "
            f"p99 {percentile(delays, 99):7.0f} ms"
        )
    after = store_ops.settle(url, idle.rate, args.drain_seconds)
    spent = after - before - idle.over(time.perf_counter() - began)
    store_ops.report(spent, len(load.answered_at))
    mix = asyncio.run(partnership_mix(stack, args.rate, args.seconds, args.partnerships))
    mix.report(f"partnership writes at {args.rate:.0f}/s", ceiling)
    if args.profile is not None:
        for name in PROFILED:
            print(f"  where {name}'s time went under the registrations (on the stack / on top):")
            for frame, inclusive, own in _spy.top_frames(args.profile / f"pipeline-{name}.txt"):
                print(f"    {inclusive:4.0%} {own:4.0%}  {frame}")


def main() -> None:
    args = arguments().parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        # the load generator is one caller: its bucket must not be what limits the rate
        settings = stack_settings(Path(data_dir), gateway_rate_per_second=1000.0)
        began = time.perf_counter()
        with Stack(settings, report=lambda line: None) as stack:
            print(f"start-up: every service ready in {time.perf_counter() - began:.1f}s")
            run(stack, args)


if __name__ == "__main__":
    main()
