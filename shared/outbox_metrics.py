"""The outbox's metrics, `commonweave.outbox.backlog` and
`commonweave.outbox.oldest_pending.age`: what the outbox relay saw pending at its last read,
so collecting them costs no query."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from opentelemetry.metrics import CallbackOptions, Meter, Observation

from shared.metrics import meter

if TYPE_CHECKING:
    from pymongo.asynchronous.collection import AsyncCollection

    from shared.mongo import Document

OUTBOX_BACKLOG = "commonweave.outbox.backlog"
OUTBOX_OLDEST_AGE = "commonweave.outbox.oldest_pending.age"

BACKLOG_COUNT_SECONDS = 5.0  # a full batch counts the rest at most this often


@dataclass(frozen=True)
class BacklogReading:
    count: int
    oldest_at: float | None  # epoch seconds the oldest pending event was written


class OutboxBacklog:
    """What the outbox relay saw pending when it last read the outbox. The relay reads the
    oldest pending events every poll anyway; only a full batch (more waiting than one read
    takes) costs a count, and at most every `BACKLOG_COUNT_SECONDS`. A replica whose relay
    does not hold the lease knows nothing (`reading` is None), so replicas do not double up.
    While Kafka refuses events the relay does not read again: the count stays that of its last
    read, the age keeps growing."""

    def __init__(self) -> None:
        self.reading: BacklogReading | None = None
        self._counted_at = 0.0
        self._counted = 0

    async def saw(
        self, events: AsyncCollection[Document], found: list[Document], limit: int
    ) -> None:
        count = len(found)
        if count >= limit:
            now = time.monotonic()
            if now - self._counted_at > BACKLOG_COUNT_SECONDS:
                self._counted = await events.count_documents({"sent_at": None})
                self._counted_at = now
            count = max(count, self._counted)
        self.reading = BacklogReading(count, written_at(found[0]) if found else None)

    def forget(self) -> None:
        self.reading = None


def written_at(event: Mapping[str, Any]) -> float | None:
    """When the event was written: its CloudEvent time (the outbox's `seq` is the same clock)."""
    try:
        return datetime.fromisoformat(event["headers"]["ce_time"]).timestamp()
    except (KeyError, TypeError, ValueError):
        seq = event.get("seq")
        return seq / 1e9 if isinstance(seq, int) else None


def observe_outbox(backlog: OutboxBacklog, meter_: Meter | None = None) -> None:
    """Registers the outbox gauges of this process's outbox."""
    m = meter_ or meter()

    def count(_: CallbackOptions) -> Iterable[Observation]:
        reading = backlog.reading
        return [] if reading is None else [Observation(reading.count)]

    def age(_: CallbackOptions) -> Iterable[Observation]:
        reading = backlog.reading
        if reading is None:
            return []
        oldest = reading.oldest_at
        return [Observation(0.0 if oldest is None else max(0.0, time.time() - oldest))]

    m.create_observable_gauge(
        OUTBOX_BACKLOG,
        callbacks=[count],
        unit="{event}",
        description="Events written to the outbox and not yet taken by Kafka.",
    )
    m.create_observable_gauge(
        OUTBOX_OLDEST_AGE,
        callbacks=[age],
        unit="s",
        description="How long the oldest event not yet taken by Kafka has waited (0: none).",
    )
