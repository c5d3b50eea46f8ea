"""A service's consumer reads its urgent topics in a lane of its own: a FastStream subscriber
(its own aiokafka consumer, fetch loop and handling task) in the group `<service>.urgent`, so a
backlog of bulk events cannot hold an early warning up (RELIABILITY.md, finding 6). The same
`process` serves both lanes: processed ids, DLQ and parking are the consumer's, not a lane's.
The lanes' groups join at start-up together (shared/broker.py)."""

from __future__ import annotations

import asyncio
import functools
from typing import Any, cast

import pytest
from aiokafka import TopicPartition
from opentelemetry.sdk.trace import TracerProvider

from shared.broker import kafka_broker
from shared.consumer import Committed, EventConsumer
from shared.contracts import Payload
from shared.events import Envelope
from shared.outbox import Outbox
from shared.settings import Settings


class NoStore:
    database = {"parked_events": None}


async def handle(payload: Payload, envelope: Envelope, uow: Any) -> None:
    return None


def notifications_consumer(*topics: str) -> EventConsumer:
    broker = kafka_broker(Settings(), "notifications", TracerProvider())
    consumer = EventConsumer(broker, cast(Outbox, NoStore()), "notifications")
    for topic in topics:
        consumer.subscribe(topic, handle)
    return consumer


def test_urgent_topics_get_a_subscriber_and_group_of_their_own() -> None:
    consumer = notifications_consumer(
        "match.suggested",
        "partnership.health_warning",
        "organization.registered",
        "need.reported",
        "checkin.due",
    )
    consumer.attach()
    lanes = {s.group_id: sorted(s.topic_names) for s in consumer._subscribers}
    assert lanes == {
        "notifications": ["match.suggested", "need.reported"],
        # the welcome: urgent for notifications only (matching reads registrations in bulk)
        "notifications.urgent": [
            "checkin.due",
            "organization.registered",
            "partnership.health_warning",
        ],
    }


def test_each_lane_takes_batches_bounded_in_count_and_wait() -> None:
    broker = kafka_broker(Settings(), "notifications", TracerProvider())
    consumer = EventConsumer(
        broker,
        cast(Outbox, NoStore()),
        "notifications",
        batch_max_records=7,
        batch_timeout_ms=30,
    )
    consumer.subscribe("match.suggested", handle)
    consumer.subscribe("partnership.health_warning", handle)
    consumer.attach()
    bounds = [(s.max_records, s.batch_timeout_ms) for s in consumer._subscribers]
    assert bounds == [(7, 30), (7, 30)]


def test_a_consumer_of_bulk_topics_only_has_one_lane() -> None:
    consumer = notifications_consumer("match.suggested")
    consumer.attach()
    assert [s.group_id for s in consumer._subscribers] == ["notifications"]


async def test_joined_waits_for_every_lanes_group() -> None:
    consumer = notifications_consumer("match.suggested", "partnership.health_warning")
    consumer.attach()
    bulk, urgent = (s._listener for s in consumer._subscribers)
    await urgent.on_partitions_assigned(set())
    assert not consumer.joined.is_set()  # the bulk lane's group has not joined yet
    await bulk.on_partitions_assigned(set())  # a replica may be given no partition
    assert consumer.joined.is_set()


def test_a_consumer_without_topics_has_joined_at_once() -> None:
    consumer = notifications_consumer()
    consumer.attach()
    assert consumer.joined.is_set() and consumer._subscribers == []


class Seeks:
    """The part of aiokafka's consumer a take-over uses: seeks, and pauses meanwhile."""

    def __init__(self) -> None:
        self.seeks: dict[tuple[str, int], int] = {}
        self.paused: set[TopicPartition] = set()
        self.seeks_while_paused = 0

    def pause(self, *partitions: TopicPartition) -> None:
        self.paused |= set(partitions)

    def resume(self, *partitions: TopicPartition) -> None:
        self.paused -= set(partitions)

    def seek(self, partition: TopicPartition, offset: int) -> None:
        self.seeks[(partition.topic, partition.partition)] = offset
        self.seeks_while_paused += partition in self.paused


def offsets(known: dict[str, dict[tuple[str, int], int]]) -> Committed:
    async def committed(group: str, wanted: list[tuple[str, int]]) -> dict[tuple[str, int], int]:
        return {where: known.get(group, {}).get(where, -1) for where in wanted}

    return committed


async def test_a_topic_moved_to_the_urgent_lane_starts_where_the_bulk_lane_left_it() -> None:
    consumer, seeks = notifications_consumer("match.suggested", "checkin.due"), Seeks()
    committed = offsets(
        {
            # checkin.due was read by the bulk group before it became urgent; partition 1
            # of it was never read by either group
            "notifications": {("checkin.due", 0): 42, ("match.suggested", 0): 7},
            "notifications.urgent": {("checkin.due", 2): 5},
        }
    )
    assigned = {TopicPartition("checkin.due", p) for p in (0, 1, 2)}
    await consumer._take_over("notifications.urgent", seeks, assigned, committed)
    # partition 0 where the bulk group left it; 1 from the earliest; 2 from its own commit
    assert seeks.seeks == {("checkin.due", 0): 42}
    # paused until then, so nothing from the earliest is handed out first
    assert seeks.seeks_while_paused == 1 and not seeks.paused


async def test_a_lane_that_cannot_ask_for_offsets_still_joins() -> None:
    consumer, seeks = notifications_consumer("match.suggested"), Seeks()

    async def away(group: str, wanted: list[tuple[str, int]]) -> dict[tuple[str, int], int]:
        raise ConnectionError("broker away")

    assigned = {TopicPartition("match.suggested", 0)}
    await consumer._take_over("notifications", seeks, assigned, away)
    assert seeks.seeks == {} and not seeks.paused


async def test_the_lanes_groups_join_together_not_one_after_the_other(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    broker = kafka_broker(Settings(), "notifications", TracerProvider())
    consumer = EventConsumer(broker, cast(Outbox, NoStore()), "notifications")
    for topic in ("match.suggested", "organization.registered"):
        consumer.subscribe(topic, handle)
    consumer.attach()
    both_starting = asyncio.Event()
    starting: list[str] = []

    async def join(group: str) -> None:
        # a subscriber's start returns once its group has assigned it partitions
        starting.append(group)
        if len(starting) == 2:
            both_starting.set()
        await asyncio.wait_for(both_starting.wait(), timeout=2)

    async def connected() -> None:
        return None

    monkeypatch.setattr(broker, "connect", connected)
    for subscriber in broker.subscribers:
        monkeypatch.setattr(subscriber, "start", functools.partial(join, subscriber.group_id))
    await broker.start()  # one after the other: the first waits for the second, and times out
    assert sorted(starting) == ["notifications", "notifications.urgent"]
    assert broker.running
