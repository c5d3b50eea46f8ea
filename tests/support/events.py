"""Producing events onto the real broker the way a service would, for consumer tests."""

from __future__ import annotations

import uuid
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shared.contracts import Payload
from shared.events import Envelope


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


async def read_all(bootstrap: str, topics: list[str], quiet_seconds: float = 3.0) -> list[Any]:
    """Every record on `topics` so far, read with a plain aiokafka consumer (a fresh group,
    from the earliest offset) until nothing new arrives for `quiet_seconds`."""
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        group_id=f"test-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
    )
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
