"""The event envelope: CloudEvents 1.0 in binary mode (attributes as `ce_*` Kafka headers,
the payload as the JSON body). The Kafka key is the aggregate id (`subject`)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"


def new_id(prefix: str = "") -> str:
    """Opaque ids; the prefix (`org`, `net`, ...) tells `node(id)` what kind of object it is."""
    return f"{prefix}_{uuid.uuid4().hex}" if prefix else uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(default_factory=new_id)
    source: str
    type: str
    subject: str
    time: datetime = Field(default_factory=utcnow)
    specversion: str = SPEC_VERSION
    datacontenttype: str = CONTENT_TYPE

    @property
    def topic(self) -> str:
        """One topic per event type; consumers order per aggregate by the aggregate's version."""
        return self.type

    def to_headers(self) -> dict[str, str]:
        return {
            "ce_specversion": self.specversion,
            "ce_id": self.id,
            "ce_source": self.source,
            "ce_type": self.type,
            "ce_subject": self.subject,
            "ce_time": self.time.isoformat(),
            "content-type": self.datacontenttype,
        }

    @classmethod
    def from_headers(cls, headers: Mapping[str, str | bytes]) -> Envelope:
        def text(name: str) -> str:
            value = headers.get(name)
            if value is None:
                raise ValueError(f"missing header {name}")
            return value.decode() if isinstance(value, bytes) else value

        return cls(
            id=text("ce_id"),
            source=text("ce_source"),
            type=text("ce_type"),
            subject=text("ce_subject"),
            time=datetime.fromisoformat(text("ce_time")),
            specversion=text("ce_specversion"),
        )


def dlq_topic(topic: str) -> str:
    return f"{topic}.dlq"
