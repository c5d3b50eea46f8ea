"""Urgent events first, on the real stack: a burst of bulk events (match suggestions) queued in
notifications does not hold up an early warning, or a newcomer's welcome, published after it.
Both are read in the consumer's urgent lane (its own group, fetch and handling:
shared/consumer.py), so they reach the inbox within seconds while most of the burst is still
waiting (RELIABILITY.md, finding 6). With one lane they waited behind up to the whole burst."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer
from opentelemetry.sdk.trace import TracerProvider
from pymongo import MongoClient

from deploy.stack import Stack
from shared.broker import BrokerAdmin, ensure_topics, kafka_broker
from shared.consumer import EventConsumer
from shared.contracts import (
    MatchParty,
    Payload,
)
from shared.events import Envelope, dlq_topic
from shared.mongo import mongo_client
from shared.outbox import Outbox
from shared.settings import Settings
from shared.unit_of_work import PROCESSED
from tests.integration.platform.test_consumer import inbox, registered_event
from tests.support.events import early_warning, produce, produce_many, suggestions
from tests.support.wait import eventually

BURST = 200  # 15 s of handling at 13 a second (quiet machine): a warning behind it misses 5 s
WARNING_WITHIN_SECONDS = 5.0


def test_an_early_warning_overtakes_a_burst_of_suggestions(stack: Stack) -> None:
    network_id = f"net_lanes_{uuid.uuid4().hex[:6]}"
    first, second = registered_event(network_id), registered_event(network_id)
    for event in (first, second):
        subject = event.profile.organization_id
        asyncio.run(
            produce(stack.settings.kafka_bootstrap, "organization.registered", subject, event)
        )
    for event in (first, second):  # notifications knows both organizations' admins
        eventually(lambda e=event: inbox(stack, e.admin.member_id), timeout=60)
    parties = [
        MatchParty(organization_id=e.profile.organization_id, name=e.profile.name)
        for e in (first, second)
    ]
    burst = suggestions(network_id, parties, BURST)
    burst_ids = asyncio.run(produce_many(stack.settings.kafka_bootstrap, "match.suggested", burst))
    warning = early_warning(network_id, [p.organization_id for p in parties])
    subject = warning.partnership.partnership_id
    asyncio.run(
        produce(stack.settings.kafka_bootstrap, "partnership.health_warning", subject, warning)
    )
    published = time.monotonic()
    newcomer = registered_event(network_id)  # its welcome: urgent for notifications too
    newcomer_id = newcomer.profile.organization_id
    asyncio.run(
        produce(stack.settings.kafka_bootstrap, "organization.registered", newcomer_id, newcomer)
    )

    with MongoClient(stack.settings.mongo_url) as mongo:
        database = mongo[stack.settings.database_name("notifications")]
        keys = [f"notifications:{event_id}" for event_id in burst_ids]

        def handled() -> int:
            return database[PROCESSED].count_documents({"_id": {"$in": keys}})

        def warned() -> bool:
            query = {"subject_id": subject, "member_id": first.admin.member_id}
            return database["inbox"].find_one(query) is not None

        eventually(warned, timeout=120, interval=0.1)
        warning_seconds = time.monotonic() - published
        handled_before = handled()
        eventually(lambda: inbox(stack, newcomer.admin.member_id), timeout=120, interval=0.1)
        welcome_seconds = time.monotonic() - published
        handled_before_welcome = handled()
        eventually(lambda: handled() == BURST, timeout=600, interval=0.5)
        burst_seconds = time.monotonic() - published

    print(
        f"early warning in the inbox after {warning_seconds:.2f} s, with {handled_before} of "
        f"{BURST} suggestions handled; a newcomer's welcome after {welcome_seconds:.2f} s, "
        f"with {handled_before_welcome}; the whole burst took {burst_seconds:.1f} s"
    )
    assert warning_seconds < WARNING_WITHIN_SECONDS
    assert warning_seconds < burst_seconds / 3  # it did not wait for the burst
    assert handled_before < BURST / 2
    assert welcome_seconds < WARNING_WITHIN_SECONDS
    assert handled_before_welcome < BURST / 2


class Ping(Payload):
    n: int


async def test_a_topic_moved_to_the_urgent_lane_goes_on_where_the_bulk_lane_left_it(
    stack: Stack,
) -> None:
    """A topic declared urgent after its service's own group read part of it: the urgent
    group has no committed offset there, and would read it from the earliest (events handled
    long ago, past the processed ids' window, handled again). It starts where the service's
    own group left it: a seek in the urgent lane's rebalance listener, on the real broker."""
    settings = stack.settings
    service, topic = await probe_topic(settings)
    bulk = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=service,  # the service's own lane, before the topic was urgent
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await bulk.start()
    try:
        read = 0
        while read < 3:
            read += sum(len(rs) for rs in (await bulk.getmany(timeout_ms=1000)).values())
        await bulk.commit()
    finally:
        await bulk.stop()
    for n in (3, 4):
        await produce(settings.kafka_bootstrap, topic, "org_probe", Ping(n=n))

    async with consuming(settings, service, topic, urgent=True, wanted=2) as (consumer, seen):
        assert list(consumer.lanes()) == [f"{service}.urgent"]
        with suppress(TimeoutError):
            await asyncio.wait_for(seen.arrived.wait(), 60)
        await asyncio.sleep(2)  # time for anything older to come, were it read from the start
    assert seen.n == [3, 4]


async def probe_topic(settings: Settings) -> tuple[str, str]:
    """A probe service's name and a new topic of its own holding Pings 0, 1 and 2."""
    service, topic = f"probe{uuid.uuid4().hex[:6]}", f"lanes.probe.{uuid.uuid4().hex[:6]}"
    await ensure_topics(settings, [topic, dlq_topic(topic)])
    for n in range(3):
        await produce(settings.kafka_bootstrap, topic, "org_probe", Ping(n=n))
    return service, topic


@dataclass
class Seen:
    """The `n` of each Ping handled; `arrived` is set once `wanted` were."""

    wanted: int
    n: list[int] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)


@asynccontextmanager
async def consuming(
    settings: Settings, service: str, topic: str, urgent: bool, wanted: int
) -> AsyncIterator[tuple[EventConsumer, Seen]]:
    """An `EventConsumer` of `service` reading `topic` on the real broker, and the Pings it
    handled."""
    client = mongo_client(settings)
    broker = kafka_broker(settings, service, TracerProvider())
    admin = BrokerAdmin(settings)
    outbox = Outbox(client, client[f"{settings.db_prefix}_{service}"], source="tests")
    consumer = EventConsumer(
        broker,
        outbox,
        service,
        session_timeout_ms=settings.kafka_session_timeout_ms,
        urgent=frozenset({topic} if urgent else ()),
    )
    seen = Seen(wanted)

    async def handle(payload: Ping, envelope: Envelope, uow: Any) -> None:
        seen.n.append(payload.n)
        if len(seen.n) >= seen.wanted:
            seen.arrived.set()

    consumer.subscribe(topic, handle, Ping)
    consumer.attach(admin.committed)
    await broker.start()
    try:
        yield consumer, seen
    finally:
        await broker.stop()
        await admin.close()
        await client.close()
