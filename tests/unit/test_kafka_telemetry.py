"""Kafka spans: FastStream's telemetry middleware makes the publish and process spans; they
carry the current messaging conventions, the CloudEvent id as the message id, and the process
span the consumer group. Driven through FastStream's in-memory test broker and the real
idempotent consumer, read from the SDK's in-memory span exporter."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import pytest
from faststream.kafka import TestKafkaBroker
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared.broker import kafka_broker
from shared.consumer import EventConsumer
from shared.consumer_metrics import ConsumerMetrics
from shared.contracts import Payload
from shared.events import Envelope
from shared.kafka_telemetry import CreateSpans
from shared.metrics import meter
from shared.outbox import Outbox, Transaction
from shared.settings import Settings

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
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider, exporter
    provider.shutdown()


def by_name(exporter: InMemorySpanExporter) -> dict[str, ReadableSpan]:
    return {span.name: span for span in exporter.get_finished_spans()}


async def test_publish_and_process_spans_carry_the_messaging_conventions(spans: Any) -> None:
    provider, exporter = spans
    broker = kafka_broker(Settings(), "matching", provider)
    consumer = EventConsumer(
        broker,
        cast(Outbox, NoStore()),
        "matching",
        consumer_metrics=ConsumerMetrics("matching", meter(MeterProvider())),
    )

    async def handle(payload: Ping, envelope: Envelope, tx: Transaction) -> None:
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
