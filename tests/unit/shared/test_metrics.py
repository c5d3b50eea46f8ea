"""Metrics beside the traces: consumer lag per group and topic, dead-lettered messages with
their reason, the outbox's backlog and the age of its oldest pending event. Read with the SDK's
in-memory reader, as a metrics backend would receive them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaConnectionError
from opentelemetry.metrics import Meter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, NumberDataPoint
from pymongo import AsyncMongoClient

from shared import consumer_metrics, outbox_metrics
from shared.consumer import Delivery, EventConsumer, NotYetKnown
from shared.contracts import Payload
from shared.events import Envelope, utcnow
from shared.metrics import meter
from shared.mongo import Database, Document, transaction
from shared.outbox import Outbox, OutboxRelay, RelayLease
from shared.unit_of_work import UnitOfWork

TOPIC = "ping.sent"


class Ping(Payload):
    n: int


@dataclass
class Metrics:
    reader: InMemoryMetricReader
    meter: Meter

    def points(self, name: str) -> list[NumberDataPoint]:
        data = self.reader.get_metrics_data()
        found: list[NumberDataPoint] = []
        for resource in data.resource_metrics if data else []:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == name:
                        found += cast(list[NumberDataPoint], list(metric.data.data_points))
        return found


@pytest.fixture
def recorded() -> Iterator[Metrics]:
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    yield Metrics(reader, meter(provider))
    provider.shutdown()


@dataclass
class FakeBroker:
    """Takes what is published (the DLQ, the relay's events)."""

    sent: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    async def publish(
        self, body: bytes, *, topic: str, key: bytes | None, headers: Any, no_confirm: bool = False
    ) -> asyncio.Future[None] | None:
        self.sent.append((topic, headers))
        if not no_confirm:
            return None
        taken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        taken.set_result(None)  # Kafka's ack, for the relay's pipelined publishes
        return taken


class FakeAdmin:
    async def ensure_topics(self, topics: list[str]) -> None:
        return None

    async def cluster_id(self) -> str:
        return "cluster-1"


class NoStore:
    database = {"parked_events": None}


def consumer(recorded: Metrics, broker: FakeBroker, outbox: Any = None) -> EventConsumer:
    events = EventConsumer(
        cast(Any, broker),
        outbox or cast(Outbox, NoStore()),
        "matching",
        max_attempts=1,
        consumer_metrics=consumer_metrics.ConsumerMetrics("matching", recorded.meter),
    )

    async def handle(payload: Ping, envelope: Envelope, uow: UnitOfWork) -> None:
        raise RuntimeError("the handler broke")

    events.subscribe(TOPIC, handle, Ping)
    return events


def delivery(body: bytes) -> Delivery:
    headers = Envelope(source="test", type=TOPIC, subject="org_1", id="ev_1").to_headers()
    return Delivery(TOPIC, body, headers, b"org_1")


async def test_a_message_sent_to_the_dlq_is_counted_with_its_topic_and_reason(
    recorded: Metrics,
) -> None:
    broker = FakeBroker()
    await consumer(recorded, broker).process(delivery(b'{"n": "not a number"}'))
    assert [topic for topic, _ in broker.sent] == [f"{TOPIC}.dlq"]
    [point] = recorded.points(consumer_metrics.DLQ_MESSAGES)
    assert point.value == 1
    assert dict(point.attributes or {}) == {
        "messaging.system": "kafka",
        "messaging.consumer.group.name": "matching",
        "messaging.destination.name": TOPIC,
        "commonweave.dlq.reason": "unparseable",
        "error.type": "ValidationError",
    }


async def test_a_handler_that_keeps_failing_counts_as_failed_with_its_error(
    recorded: Metrics, mongo: AsyncMongoClient[Document], database: Database
) -> None:
    broker = FakeBroker()
    events = consumer(recorded, broker, Outbox(mongo, database, source="commonweave/test"))
    await events.process(delivery(b'{"n": 1}'))
    await events.process(delivery(b"{}"))
    by_reason = {
        (p.attributes or {})["commonweave.dlq.reason"]: p
        for p in recorded.points(consumer_metrics.DLQ_MESSAGES)
    }
    assert by_reason["failed"].value == 1
    assert (by_reason["failed"].attributes or {})["error.type"] == "RuntimeError"
    assert by_reason["unparseable"].value == 1


async def test_an_event_parked_past_the_limit_counts_as_expired(
    recorded: Metrics, mongo: AsyncMongoClient[Document], database: Database
) -> None:
    broker = FakeBroker()
    events = EventConsumer(
        cast(Any, broker),
        Outbox(mongo, database, source="commonweave/test"),
        "notifications",
        park_limit=timedelta(hours=1),
        consumer_metrics=consumer_metrics.ConsumerMetrics("notifications", recorded.meter),
    )

    async def handle(payload: Ping, envelope: Envelope, uow: UnitOfWork) -> None:
        raise NotYetKnown("organization org_1 not heard of yet")

    events.subscribe(TOPIC, handle, Ping)
    parked = {"_id": "notifications:ev_1", "attempts": 9, "first_at": utcnow() - timedelta(hours=2)}
    await events.process(delivery(b'{"n": 1}'), parked)
    assert [topic for topic, _ in broker.sent] == [f"{TOPIC}.dlq"]
    [point] = recorded.points(consumer_metrics.DLQ_MESSAGES)
    assert (point.attributes or {})["commonweave.dlq.reason"] == "expired"
    assert "error.type" not in (point.attributes or {})


def test_a_delivered_message_is_counted_as_consumed_by_its_group(recorded: Metrics) -> None:
    counted = consumer_metrics.ConsumerMetrics("notifications", recorded.meter)
    counted.received(TOPIC)
    counted.received(TOPIC)
    [point] = recorded.points("messaging.client.consumed.messages")
    assert point.value == 2
    assert dict(point.attributes or {}) == {
        "messaging.system": "kafka",
        "messaging.consumer.group.name": "notifications",
        "messaging.destination.name": TOPIC,
        "messaging.operation.name": "process",
    }


@dataclass
class FakeClient:
    """An aiokafka consumer as the lag reads it."""

    highwaters: dict[TopicPartition, int | None]
    positions: dict[TopicPartition, int | None]

    def assignment(self) -> set[TopicPartition]:
        return set(self.highwaters)

    def highwater(self, partition: TopicPartition) -> int | None:
        return self.highwaters[partition]


def fake_position(client: Any, partition: TopicPartition) -> int | None:
    return cast(FakeClient, client).positions[partition]


def test_lag_is_end_offset_minus_position_summed_per_topic() -> None:
    a0, a1, b0, c0 = (TopicPartition(t, p) for t, p in [("a", 0), ("a", 1), ("b", 0), ("c", 0)])
    client = FakeClient({a0: 10, a1: 5, b0: None, c0: 4}, {a0: 7, a1: 3, b0: 2, c0: 4})
    # b not fetched yet: no highwater, left out; c caught up: 0
    assert consumer_metrics.consumer_lag(client, fake_position) == {"a": 5, "c": 0}


def test_the_lag_gauge_reports_per_group_and_topic(
    recorded: Metrics, monkeypatch: pytest.MonkeyPatch
) -> None:
    a0, b0 = TopicPartition("a", 0), TopicPartition("b", 0)
    client = FakeClient({a0: 12, b0: 3}, {a0: 2, b0: 3})
    monkeypatch.setattr(consumer_metrics, "position", fake_position)
    clients: list[FakeClient] = []
    consumer_metrics.ConsumerMetrics("commitments", recorded.meter).observe_lag(lambda: clients)
    assert recorded.points(consumer_metrics.CONSUMER_LAG) == []  # not started: nothing to say
    clients.append(client)
    lag = {
        (p.attributes or {})["messaging.destination.name"]: p
        for p in recorded.points(consumer_metrics.CONSUMER_LAG)
    }
    assert lag["a"].value == 10 and lag["b"].value == 0
    assert dict(lag["a"].attributes or {}) == {
        "messaging.system": "kafka",
        "messaging.consumer.group.name": "commitments",
        "messaging.destination.name": "a",
    }


async def test_position_reads_the_kafka_clients_own_state_without_waiting() -> None:
    """`position` reads aiokafka's private state (its `position()` waits, and collection runs
    on the metric reader's thread): this keeps that reading honest for the pinned version."""
    client = AIOKafkaConsumer(bootstrap_servers="127.0.0.1:1")  # never started
    try:
        partition = TopicPartition("a", 3)
        client.assign([partition])
        assert consumer_metrics.position(client, partition) is None  # no position yet
        client._subscription.seek(partition, 42)  # what a fetch or a commit-point reset does
        assert consumer_metrics.position(client, partition) == 42
        assert consumer_metrics.consumer_lag(client) == {}  # no highwater before the first fetch
    finally:
        await client.stop()


async def test_the_outbox_gauges_report_what_the_relay_saw_pending(
    recorded: Metrics, mongo: AsyncMongoClient[Document], database: Database
) -> None:
    outbox = Outbox(mongo, database, source="commonweave/test")
    outbox_metrics.observe_outbox(outbox.backlog, recorded.meter)
    assert recorded.points(outbox_metrics.OUTBOX_BACKLOG) == []  # the relay has not read yet
    async with transaction(outbox.client) as session:
        await outbox.add_many(session, [(TOPIC, f"org_{n}", Ping(n=n)) for n in range(3)])
    await asyncio.sleep(0.05)
    assert len(await outbox.pending(limit=200)) == 3  # what the relay reads every poll

    [backlog] = recorded.points(outbox_metrics.OUTBOX_BACKLOG)
    [age] = recorded.points(outbox_metrics.OUTBOX_OLDEST_AGE)
    assert backlog.value == 3
    assert 0.05 <= age.value < 60

    broker = FakeBroker()
    relay = OutboxRelay(outbox, cast(Any, broker), FakeAdmin(), 0.1, timedelta(minutes=5))
    assert await relay.publish_pending() == 3
    assert await relay.publish_pending() == 0
    [backlog] = recorded.points(outbox_metrics.OUTBOX_BACKLOG)
    [age] = recorded.points(outbox_metrics.OUTBOX_OLDEST_AGE)
    assert (backlog.value, age.value) == (0, 0.0)


class UnreachableAdmin(FakeAdmin):
    async def cluster_id(self) -> str:
        raise KafkaConnectionError("Unable to bootstrap from [('127.0.0.1', 9092)]")


async def test_the_backlog_counts_what_waits_while_the_broker_cannot_be_reached(
    recorded: Metrics, mongo: AsyncMongoClient[Document], database: Database
) -> None:
    """The relay asks the broker who it is before it publishes; when it cannot, the gauges
    still show the events waiting (the outage is when operators look at them)."""
    outbox = Outbox(mongo, database, source="commonweave/test")
    outbox_metrics.observe_outbox(outbox.backlog, recorded.meter)
    async with transaction(outbox.client) as session:
        await outbox.add_many(session, [(TOPIC, f"org_{n}", Ping(n=n)) for n in range(2)])
    broker = FakeBroker()
    relay = OutboxRelay(outbox, cast(Any, broker), UnreachableAdmin(), 0.1, timedelta(minutes=5))
    with pytest.raises(KafkaConnectionError):
        await relay.publish_pending()
    assert broker.sent == []
    [backlog] = recorded.points(outbox_metrics.OUTBOX_BACKLOG)
    assert backlog.value == 2


async def test_a_full_batch_counts_the_whole_backlog(
    recorded: Metrics, mongo: AsyncMongoClient[Document], database: Database
) -> None:
    outbox = Outbox(mongo, database, source="commonweave/test")
    outbox_metrics.observe_outbox(outbox.backlog, recorded.meter)
    async with transaction(outbox.client) as session:
        await outbox.add_many(session, [(TOPIC, f"org_{n}", Ping(n=n)) for n in range(5)])
    assert len(await outbox.pending(limit=2)) == 2
    [backlog] = recorded.points(outbox_metrics.OUTBOX_BACKLOG)
    assert backlog.value == 5


async def test_a_replica_whose_relay_does_not_hold_the_lease_reports_nothing(
    recorded: Metrics, mongo: AsyncMongoClient[Document], database: Database
) -> None:
    outbox = Outbox(mongo, database, source="commonweave/test")
    outbox_metrics.observe_outbox(outbox.backlog, recorded.meter)
    async with transaction(outbox.client) as session:
        await outbox.add(session, TOPIC, "org_1", Ping(n=1))
    holder = OutboxRelay(outbox, cast(Any, FakeBroker()), FakeAdmin(), 0.1, timedelta(minutes=5))
    assert await holder.publish_pending() == 1
    other = OutboxRelay(
        outbox,
        cast(Any, FakeBroker()),
        FakeAdmin(),
        0.1,
        timedelta(minutes=5),
        lease=RelayLease(database),
    )
    assert await other.publish_pending() == 0  # the first relay holds the lease
    assert recorded.points(outbox_metrics.OUTBOX_BACKLOG) == []
