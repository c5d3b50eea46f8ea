"""A lane's batch of events (what `getmany` had, up to `max_records`) handled in ONE unit of
work, so a burst costs a transaction per batch, not per event:

- every message is parsed first; one that cannot be is sent to the DLQ alone (the consumer's
  `parse`) and is not part of the batch;
- an event id that comes twice in the batch is handled once (the first);
- one read finds which events were processed before (dropped), one insert records the rest
  (`UnitOfWork.processed_many`);
- each handler runs in turn with the same unit of work, inside the span of its own event
  (a child of the span that published it: one user action stays one trace), and its
  publishes are held until the commit, then go to the outbox in one insert;
- events parked here that wait for a subject of the batch are released in the same commit
  (one update over the `waiting_for` index).

When the batch's transaction fails for any reason but a transient one (a transient failure
runs the whole batch again first), it is aborted and nothing of it was written. If a handler
raised (`NotYetKnown` included: `HandlerFailed` names its event), the consumer handles the
events before it again as a batch, that event alone on the per-event path (retried, parked or
sent to the DLQ, as ever), then the events after it as a batch; on any other failure, each
event alone. So a poison event fails only itself. The Kafka offsets are committed after the
batch is handled, never before its transactions did."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

from opentelemetry import propagate, trace
from opentelemetry.semconv._incubating.attributes.messaging_attributes import (
    MESSAGING_CONSUMER_GROUP_NAME,
)
from opentelemetry.trace import SpanKind, Tracer

from shared.consumer_delivery import Delivery, Parsed, processed_key
from shared.consumer_parking import ParkingLot
from shared.faults import Faults
from shared.kafka_telemetry import KafkaSpanAttributes
from shared.mongo import is_transient
from shared.unit_of_work import MongoUnitOfWork

log = logging.getLogger(__name__)


def first_of_each(batch: list[Parsed], group: str) -> tuple[list[Parsed], list[Parsed]]:
    """The batch with each event id once (its first delivery), and the repeats left out."""
    seen: set[str] = set()
    kept: list[Parsed] = []
    repeats: list[Parsed] = []
    for parsed in batch:
        key = processed_key(group, parsed.envelope)
        (repeats if key in seen else kept).append(parsed)
        seen.add(key)
    return kept, repeats


class _Record(NamedTuple):  # what the span attributes read of a ConsumerRecord
    topic: str
    partition: int | None
    offset: int | None
    key: bytes | None


class _Message(NamedTuple):  # what they read of FastStream's message
    raw_message: _Record
    body: bytes
    headers: Mapping[str, str]
    message_id: str
    correlation_id: str | None


def process_attributes(delivery: Delivery, group: str) -> dict[str, Any]:
    """The attributes FastStream's process span of this one message would have
    (shared/kafka_telemetry.py), and the consumer group."""
    record = _Record(delivery.topic, delivery.partition, delivery.offset, delivery.key)
    message = _Message(record, delivery.body, delivery.headers, f"{delivery.offset}", None)
    attributes = KafkaSpanAttributes().get_consume_attrs_from_message(cast(Any, message))
    attributes[MESSAGING_CONSUMER_GROUP_NAME] = group
    return attributes


@contextmanager
def event_span(
    tracer: Tracer, delivery: Delivery, group: str, logger: logging.Logger
) -> Iterator[None]:
    """The process span of one event of a batch, a child of the span that published it (its
    `traceparent`), with the "Received" and "Processed" lines inside it, as a message handled
    alone has them (shared/message_log.py)."""
    parent = propagate.extract(delivery.headers)
    attributes = process_attributes(delivery, group)
    fields = {
        "topic": delivery.topic,
        "group_id": group,
        "message_id": attributes.get("messaging.message.id"),
    }
    with tracer.start_as_current_span(
        f"{delivery.topic} process", context=parent, kind=SpanKind.CONSUMER, attributes=attributes
    ):
        logger.info("Received", extra=fields)
        try:
            yield
        finally:
            logger.info("Processed", extra=fields)


class HandlerFailed(Exception):
    """The handler of one event of a batch raised (its error is the `__cause__`)."""

    def __init__(self, parsed: Parsed) -> None:
        super().__init__(f"{parsed.delivery.topic} {parsed.envelope.id}")
        self.parsed = parsed


@dataclass
class BatchWork:
    """What handling a batch needs of its consumer."""

    group: str
    tracer: Tracer
    logger: logging.Logger  # the "Received"/"Processed" lines' (the broker's)
    lot: ParkingLot
    faults: Faults | None


async def handle_batch(
    work: BatchWork, uow: MongoUnitOfWork, batch: list[Parsed]
) -> tuple[list[Parsed], list[Parsed]]:
    """Runs the batch's events in one transaction; answers those handled and those processed
    before. Any error leaves nothing written (the consumer then goes one at a time)."""
    uow.hold_publishes()
    async with uow:
        keys = [(processed_key(work.group, p.envelope), p.delivery.topic) for p in batch]
        before = await uow.processed_many(keys)
        fresh = [p for p, (key, _) in zip(batch, keys, strict=True) if key not in before]
        for parsed in fresh:
            with event_span(work.tracer, parsed.delivery, work.group, work.logger):
                try:
                    if work.faults is not None:
                        work.faults.check(parsed.envelope)
                    await parsed.handler(parsed.payload, parsed.envelope, uow)
                except Exception as exc:
                    if is_transient(exc):  # a conflict: the whole batch again
                        raise
                    raise HandlerFailed(parsed) from exc
        await work.lot.release({p.envelope.subject for p in fresh}, uow.open_session)
    return fresh, [p for p, (key, _) in zip(batch, keys, strict=True) if key in before]


def current_tracer(provider: trace.TracerProvider | None) -> Tracer:
    return trace.get_tracer(__name__, tracer_provider=provider)
