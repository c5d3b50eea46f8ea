"""Kafka spans: FastStream's telemetry middleware makes the publish and process spans; they
carry the current messaging conventions, the CloudEvent id as the message id, and the process
span the consumer group. Driven through FastStream's in-memory test broker and the real
idempotent consumer, read from the SDK's in-memory span exporter."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from faststream.kafka import TestKafkaBroker
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.semconv._incubating.attributes import messaging_attributes

from shared.broker import kafka_broker
from shared.consumer import EventConsumer
from shared.consumer_metrics import ConsumerMetrics
from shared.contracts import Payload
from shared.events import Envelope
from shared.kafka_telemetry import CreateSpans, CurrentMessagingNames, current_names
from shared.metrics import meter
from shared.outbox import Outbox
from shared.settings import Settings
from shared.unit_of_work import UnitOfWork

TOPIC = "ping.sent"


class Ping(Payload):
    n: int


class NoStore:
    database = {"parked_events": None}


@pytest.fixture
def spans() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(CreateSpans())  # as setup_telemetry adds it
    provider.add_span_processor(CurrentMessagingNames(SimpleSpanProcessor(exporter)))
    yield provider, exporter
    provider.shutdown()


def by_name(exporter: InMemorySpanExporter) -> dict[str, ReadableSpan]:
    """The spans by name; of the process spans, the one of the event (its message id is the
    CloudEvent's): the consumer takes batches, and FastStream's span of the batch has the
    same name."""
    found = {span.name: span for span in exporter.get_finished_spans()}
    for span in exporter.get_finished_spans():
        if span.name.endswith(" process") and (span.attributes or {}).get(
            "messaging.message.id", ""
        ).startswith("ev_"):
            found[span.name] = span
    return found


async def test_publish_and_process_spans_carry_the_messaging_conventions(spans: Any) -> None:
    provider, exporter = spans
    broker = kafka_broker(Settings(), "matching", provider)
    consumer = EventConsumer(
        broker,
        cast(Outbox, NoStore()),
        "matching",
        consumer_metrics=ConsumerMetrics("matching", meter(MeterProvider())),
        tracer_provider=provider,
    )

    async def handle(payload: Ping, envelope: Envelope, uow: UnitOfWork) -> None:
        raise AssertionError("a poison message never reaches the handler")

    consumer.subscribe(TOPIC, handle, Ping)
    consumer.attach()
    headers = Envelope(source="test", type=TOPIC, subject="org_1", id="ev_1").to_headers()
    async with TestKafkaBroker(broker) as test_broker:
        # a body its contract refuses: processed, then sent on to the dead-letter topic
        await test_broker.publish(b'{"n": "x"}', topic=TOPIC, key=b"org_1", headers=headers)

    found = by_name(exporter)
    published = found[f"{TOPIC} publish"].attributes or {}
    assert published["messaging.system"] == "kafka"
    assert published["messaging.destination.name"] == TOPIC
    assert published["messaging.operation.type"] == "send"
    assert published["messaging.message.id"] == "ev_1"

    processed = found[f"{TOPIC} process"].attributes or {}
    assert processed["messaging.system"] == "kafka"
    assert processed["messaging.destination.name"] == TOPIC
    assert processed["messaging.operation.type"] == "process"
    assert processed["messaging.message.id"] == "ev_1"
    assert processed["messaging.consumer.group.name"] == "matching"
    assert processed["messaging.destination.partition.id"] == "0"
    assert processed["messaging.kafka.offset"] == 0

    dead_lettered = found[f"{TOPIC}.dlq publish"]
    attributes = dead_lettered.attributes or {}
    assert attributes["messaging.destination.name"] == f"{TOPIC}.dlq"
    assert attributes["messaging.message.id"] == "ev_1"  # the same event, wherever it goes
    # FastStream's create span of the DLQ message is a child of the process span
    created = found[f"{TOPIC}.dlq create"]
    assert dead_lettered.parent is not None and created.parent is not None
    assert dead_lettered.parent.span_id == created.context.span_id
    assert created.parent.span_id == found[f"{TOPIC} process"].context.span_id
    assert (created.attributes or {})["messaging.operation.type"] == "create"
    assert (found[f"{TOPIC} create"].attributes or {})["messaging.operation.type"] == "create"


def deprecated_names() -> set[str]:
    """The attribute names the installed semantic conventions mark deprecated (the docstring
    under each constant of their messaging module says `Deprecated: ...`)."""
    source = Path(messaging_attributes.__file__).read_text()
    pattern = r'^MESSAGING_\w+: Final = "([^"]+)"\n"""\s*Deprecated'
    return set(re.findall(pattern, source, re.MULTILINE))


async def test_messaging_spans_carry_no_deprecated_name(spans: Any) -> None:
    old = deprecated_names()
    assert {"messaging.operation", "messaging.kafka.message.offset"} <= old  # the list is read
    assert "messaging.destination_publish.name" in old
    provider, exporter = spans
    broker = kafka_broker(Settings(), "matching", provider)
    consumer = EventConsumer(
        broker,
        cast(Outbox, NoStore()),
        "matching",
        consumer_metrics=ConsumerMetrics("matching", meter(MeterProvider())),
        tracer_provider=provider,
    )

    async def handle(payload: Ping, envelope: Envelope, uow: UnitOfWork) -> None:
        return None

    consumer.subscribe(TOPIC, handle, Ping)
    consumer.attach()
    headers = Envelope(source="test", type=TOPIC, subject="org_1", id="ev_2").to_headers()
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish(b'{"n": 1}', topic=TOPIC, key=b"org_1", headers=headers)
        await test_broker.publish(b'{"n": "x"}', topic=TOPIC, key=b"org_1", headers=headers)
    finished = exporter.get_finished_spans()
    kinds = {span.name.rsplit(" ", 1)[-1] for span in finished}
    assert {"create", "publish", "process"} <= kinds
    for span in finished:
        names = set(span.attributes or {})
        assert not names & old, (span.name, names & old)
    processed = next(s for s in finished if s.name == f"{TOPIC} process").attributes or {}
    assert processed["messaging.message.body.size"] == len(b'{"n": 1}')
    assert processed["messaging.kafka.offset"] == 0


def test_old_names_are_renamed_and_current_values_win() -> None:
    renamed = current_names(
        {
            "messaging.operation": "publish",
            "messaging.kafka.message.offset": 7,
            "messaging.kafka.destination.partition": 2,
            "messaging.destination_publish.name": "t",
            "messaging.message.payload_size_bytes": 10,
            "messaging.destination.partition.id": "3",
            "other": 1,
        }
    )
    assert renamed == {
        "messaging.operation.type": "send",
        "messaging.kafka.offset": 7,
        "messaging.destination.partition.id": "3",
        "messaging.message.body.size": 10,
        "other": 1,
    }
