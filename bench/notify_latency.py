"""Event → inbox latency of the notifications service against an embedded stack of its own:
produces N `milestone.reached` events onto the real broker at a steady rate, watches the
notifications database for each event's inbox row, and prints p50/p99 of (row seen - event
produced), plus the same from the row's own `created_at` (the handler's clock, before commit).

    python -m bench.notify_latency [--events 200] [--rate 10] [--fetch-wait-ms 500]

The watcher polls every 10 ms, so "seen" overstates latency by up to that much."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient

from deploy.stack import Stack
from shared import contracts as c
from shared.events import Envelope, utcnow
from shared.mongo import Document
from tests.integration.platform.test_slice import REGISTER, registration
from tests.support.stack import Client, create_network, stack_settings
from tests.support.wait import eventually

KIND = "milestone.reached"


def prepare(stack: Stack) -> tuple[str, c.PartnershipRef]:
    """An organization whose admin notifications knows (welcomed), and a partnership of it."""
    network = create_network(stack)
    operator = Client(stack.graphql_url, network["operatorToken"])
    data = operator.data(
        REGISTER, {"input": registration(network["networkId"], "Bench", "b@bench.org")}
    )["registerOrganization"]
    admin = operator.as_(data["adminToken"])
    member_id: str = admin.data("{ me { memberId } }")["me"]["memberId"]
    eventually(
        lambda: admin.data("{ unreadNotificationCount }")["unreadNotificationCount"], timeout=60
    )
    partnership = c.PartnershipRef(
        partnership_id=f"prt_{uuid.uuid4().hex}",
        network_id=network["networkId"],
        name="Bench partnership",
        organization_ids=[data["organization"]["id"]],
    )
    return member_id, partnership


async def produce_all(
    bootstrap: str, partnership: c.PartnershipRef, events: int, rate: float
) -> dict[str, datetime]:
    produced: dict[str, datetime] = {}
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for i in range(events):
            began = time.perf_counter()
            payload = c.MilestoneReached(
                partnership=partnership, milestone_id=f"ms_{i}", title=f"Step {i}"
            )
            envelope = Envelope(source="bench", type=KIND, subject=partnership.partnership_id)
            produced[envelope.id] = envelope.time
            await producer.send_and_wait(
                KIND,
                payload.model_dump_json().encode(),
                key=partnership.partnership_id.encode(),
                headers=[(k, v.encode()) for k, v in envelope.to_headers().items()],
            )
            await asyncio.sleep(max(0.0, 1 / rate - (time.perf_counter() - began)))
    finally:
        await producer.stop()
    return produced


async def watch(
    stack: Stack, member_id: str, expected: int, within: float
) -> tuple[dict[str, datetime], dict[str, datetime]]:
    """event id -> when its inbox row was first seen, and the row's created_at."""
    client: AsyncMongoClient[Document] = AsyncMongoClient(stack.settings.mongo_url, tz_aware=True)
    inbox = client[stack.settings.database_name("notifications")]["inbox"]
    seen: dict[str, datetime] = {}
    created: dict[str, datetime] = {}
    deadline = time.monotonic() + within
    try:
        while len(seen) < expected and time.monotonic() < deadline:
            rows = await inbox.find(
                {"member_id": member_id, "kind": KIND}, {"event_id": 1, "created_at": 1}
            ).to_list()
            now = utcnow()
            for row in rows:
                if row["event_id"] not in seen:
                    seen[row["event_id"]] = now
                    created[row["event_id"]] = row["created_at"]
            await asyncio.sleep(0.01)
    finally:
        await client.close()
    return seen, created


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[int(0.99 * (len(ordered) - 1))]
    return f"p50 {statistics.median(ordered):.0f} ms, p99 {p99:.0f} ms, max {ordered[-1]:.0f} ms"


async def measure(stack: Stack, events: int, rate: float) -> None:
    member_id, partnership = prepare(stack)
    watcher = asyncio.create_task(watch(stack, member_id, events, within=events / rate + 120))
    produced = await produce_all(stack.settings.kafka_bootstrap, partnership, events, rate)
    seen, created = await watcher

    def ms(at: dict[str, datetime]) -> list[float]:
        return [1000 * (at[i] - produced[i]).total_seconds() for i in produced if i in at]

    wait = stack.settings.kafka_fetch_max_wait_ms
    print(f"{events} events at {rate:g}/s (fetch wait {wait} ms), {len(seen)} reached the inbox")
    print(f"  event produced → inbox row seen:    {percentiles(ms(seen))}")
    print(f"  event produced → row created_at:    {percentiles(ms(created))}")


def arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--fetch-wait-ms", type=int, default=500, help="consumers' fetch wait")
    return parser


def run(stack: Stack, args: argparse.Namespace) -> None:
    asyncio.run(measure(stack, args.events, args.rate))


def main() -> None:
    args = arguments().parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        settings = stack_settings(
            Path(data_dir), log_level="WARNING", kafka_fetch_max_wait_ms=args.fetch_wait_ms
        ).model_copy(update={"telemetry_exporter": "off"})
        with Stack(settings, report=lambda line: None) as stack:
            run(stack, args)


if __name__ == "__main__":
    main()
