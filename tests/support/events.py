"""Producing events onto the real broker the way a service would, for consumer tests, and
reading back what the services published."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from deploy.stack import Stack
from shared.contracts import (
    HealthPart,
    MatchParty,
    MatchSuggested,
    PartnershipHealthWarning,
    PartnershipRef,
    Payload,
)
from shared.events import Envelope

T = TypeVar("T")


async def produce(
    bootstrap: str,
    event_type: str,
    subject: str,
    payload: Payload | bytes,
    event_id: str | None = None,
) -> Envelope:
    envelope = Envelope(source="tests", type=event_type, subject=subject)
    if event_id:
        envelope = envelope.model_copy(update={"id": event_id})
    body = payload if isinstance(payload, bytes) else payload.model_dump_json().encode()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            event_type,
            body,
            key=subject.encode(),
            headers=[(k, v.encode()) for k, v in envelope.to_headers().items()],
        )
    finally:
        await producer.stop()
    return envelope


def reader(bootstrap: str, topics: list[str]) -> AIOKafkaConsumer:
    """A consumer of every partition of `topics` from the earliest offset, in no consumer
    group: a new group's first join waits on the embedded broker (seconds, for each read),
    and a test's reader commits nothing."""
    return AIOKafkaConsumer(
        *topics, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
    )


async def read_all(bootstrap: str, topics: list[str], quiet_seconds: float = 3.0) -> list[Any]:
    """Every record on `topics` so far, read with a plain aiokafka consumer (`reader`) until
    nothing new arrives for `quiet_seconds`."""
    consumer = reader(bootstrap, topics)
    await consumer.start()
    records: list[Any] = []
    try:
        idle = 0.0
        while idle < quiet_seconds:
            batches = await consumer.getmany(timeout_ms=1000)
            got = [r for rs in batches.values() for r in rs]
            records += got
            idle = 0.0 if got else idle + 1.0
        return records
    finally:
        await consumer.stop()


async def first_found(bootstrap: str, topic: str, pick: Callable[[Any], T | None]) -> list[T]:
    """What `pick` makes of the records on `topic` (None: not wanted), read with a plain
    aiokafka consumer (`reader`): the first poll that finds any answers them; [] after 30
    polls of up to a second each."""
    consumer = reader(bootstrap, [topic])
    await consumer.start()
    try:
        for _ in range(30):
            batches = await consumer.getmany(timeout_ms=1000)
            found = [x for rs in batches.values() for r in rs if (x := pick(r)) is not None]
            if found:
                return found
        return []
    finally:
        await consumer.stop()


async def events_of(stack: Stack, topic: str, subject: str) -> list[tuple[dict[str, str], Any]]:
    """(headers, body) of the events on `topic` about `subject`."""

    def about_subject(r: Any) -> tuple[dict[str, str], Any] | None:
        if r.key != subject.encode():
            return None
        return {k: v.decode() for k, v in r.headers}, json.loads(r.value)

    return await first_found(stack.settings.kafka_bootstrap, topic, about_subject)


def assert_cloud_event(
    headers: dict[str, str], event_type: str, subject: str, source: str = "commonweave/intake"
) -> None:
    """The CloudEvents headers of a published event, with its trace context."""
    assert headers["ce_specversion"] == "1.0"
    assert headers["ce_type"] == event_type
    assert headers["ce_subject"] == subject
    assert headers["ce_source"] == source
    assert headers["ce_id"] and headers["ce_time"]
    assert "traceparent" in headers


async def produce_many(bootstrap: str, topic: str, events: list[tuple[str, Payload]]) -> list[str]:
    """Sends every event at once with one producer (a burst, as a relay sends a backlog);
    answers their event ids."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20)
    await producer.start()
    try:
        ids, sent = [], []
        for subject, payload in events:
            envelope = Envelope(source="tests", type=topic, subject=subject)
            ids.append(envelope.id)
            headers = [(k, v.encode()) for k, v in envelope.to_headers().items()]
            body = payload.model_dump_json().encode()
            sent.append(await producer.send(topic, body, key=subject.encode(), headers=headers))
        await asyncio.gather(*sent)
        return ids
    finally:
        await producer.stop()


def early_warning(network_id: str, organization_ids: list[str]) -> PartnershipHealthWarning:
    return PartnershipHealthWarning(
        partnership=PartnershipRef(
            partnership_id=f"par_{uuid.uuid4().hex[:8]}",
            network_id=network_id,
            name="Lanes Partnership",
            organization_ids=organization_ids,
        ),
        reason="at_risk",
        crossing="at_risk:1",
        score=0.3,
        previous_score=0.6,
        part=HealthPart(name="check_in_regularity", score=0.2, weight=0.25),
        part_previous_score=0.9,
        summary="Health crossed into at risk (0.60 → 0.30).",
    )


def suggestions(
    network_id: str, parties: list[MatchParty], count: int
) -> list[tuple[str, Payload]]:
    """`count` match suggestions between the same parties (a burst of bulk events), keyed by
    their match ids, for `produce_many`."""
    burst: list[tuple[str, Payload]] = []
    for _ in range(count):
        match_id = f"mat_{uuid.uuid4().hex[:10]}"
        burst.append(
            (
                match_id,
                MatchSuggested(
                    match_id=match_id, network_id=network_id, parties=parties, score=0.7
                ),
            )
        )
    return burst
