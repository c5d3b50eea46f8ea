"""Producing events onto the real broker the way a service would, for consumer tests."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer

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
