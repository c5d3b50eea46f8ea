"""What the idempotent consumer handles: a message as it came from Kafka (or back from the
parking lot), and the event read from it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.contracts import Payload
from shared.events import Envelope


def processed_key(group: str, envelope: Envelope) -> str:
    """An event's key in a consumer group: its processed id, and its place in the parking lot."""
    return f"{group}:{envelope.id}"


@dataclass(frozen=True)
class Delivery:
    """One message as it came from Kafka (or back from the parking lot, with no position)."""

    topic: str
    body: bytes
    headers: dict[str, str]
    key: bytes | None
    partition: int | None = None
    offset: int | None = None

    @classmethod
    def of_record(cls, record: Any) -> Delivery:
        """From aiokafka's `ConsumerRecord` (headers as (name, bytes) pairs)."""
        headers = {name: value.decode() for name, value in record.headers}
        return cls(
            record.topic, record.value or b"", headers, record.key, record.partition, record.offset
        )


@dataclass(frozen=True)
class Parsed:
    """A delivery whose envelope and body its contract accepted, with its topic's handler."""

    delivery: Delivery
    payload: Payload
    envelope: Envelope
    handler: Any  # shared.consumer.Handler (which would import this module)
