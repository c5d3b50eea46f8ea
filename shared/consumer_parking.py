"""The consumer's parking lot: an event about something the service has not heard of yet
(`NotYetKnown`: events of different topics have no order between them) waits here, never
dropped, and is tried again

- as soon as an event it waits for (`waiting_for`: the subjects of the events that bring its
  prerequisite, an index of the lot) is handled by this process: it is made due in the same
  commit, and the lot's loop is woken;
- otherwise when its backoff runs out (the fallback: another replica handled what it waits
  for). The loop sleeps until the earliest parked event is due (one query for its time), or
  until woken; it does not poll.

An event still waiting after the park limit goes to the DLQ."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from contextlib import suppress
from datetime import timedelta

from opentelemetry.instrumentation.utils import suppress_instrumentation

from shared.consumer_delivery import Delivery, processed_key
from shared.events import Envelope, utcnow
from shared.logs import log_repeated
from shared.mongo import Collection, Document, Session

log = logging.getLogger(__name__)

PARKED = "parked_events"
AT_ONCE = 100  # due events read per look


class NotYetKnown(Exception):
    """Raised by a handler when the event is about something this service has not heard of
    yet: the event is parked and tried again later (the transaction wrote nothing).
    `waiting_for` names what it waits for as the subjects of the events that bring it (an
    organization's id: `organization.registered`); the event is then tried again as soon as
    one of those is handled, not only when its backoff runs out."""

    def __init__(self, message: str, waiting_for: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.waiting_for = sorted(set(waiting_for))


def backoff_seconds(attempts: int, waits_for_subjects: bool) -> float:
    """Waiting for named subjects, it is woken when one arrives: the timer is the fallback
    (another replica handled it), and runs slower, sparing the store repeated tries."""
    first_wait = 2.0 if waits_for_subjects else 0.25
    return min(60.0, first_wait * 2 ** min(attempts, 10))


class ParkingLot:
    def __init__(self, collection: Collection, group: str, limit: timedelta) -> None:
        self.collection = collection
        self._group = group
        self._limit = limit
        # subjects that events parked by this process wait for, and the loop's wake-up
        self._awaited: set[str] = set()
        self._due = asyncio.Event()

    async def park(
        self, delivery: Delivery, envelope: Envelope, waits: NotYetKnown, parked: Document | None
    ) -> str | None:
        """Parks the event (again); answers why it may not wait any longer instead (past the
        limit: the caller sends it to the DLQ)."""
        now, reason = utcnow(), str(waits)
        attempts = (parked or {}).get("attempts", 0) + 1
        first_at = (parked or {}).get("first_at", now)
        if now - first_at > self._limit:
            return f"still waiting after {attempts} tries: {reason}"
        wait = backoff_seconds(attempts, bool(waits.waiting_for))
        log.info(
            "%s: %s %s parked (%s); next try in %.1fs",
            self._group,
            delivery.topic,
            envelope.id,
            reason,
            wait,
        )
        await self.collection.update_one(
            {"_id": processed_key(self._group, envelope)},
            {
                "$set": {
                    "topic": delivery.topic,
                    "body": delivery.body,
                    "headers": delivery.headers,
                    "key": delivery.key,
                    "reason": reason,
                    "attempts": attempts,
                    "first_at": first_at,
                    "next_at": now + timedelta(seconds=wait),
                    "waiting_for": waits.waiting_for,
                }
            },
            upsert=True,
        )
        self._awaited.update(waits.waiting_for)
        self._due.set()  # the loop may sleep past its next try: it looks again
        return None

    def awaited(self, subjects: Iterable[str]) -> list[str]:
        """Those of the subjects that events parked here wait for."""
        return sorted(self._awaited.intersection(subjects))

    async def release(self, subjects: Iterable[str], session: Session) -> None:
        """Events parked here that wait for one of these subjects are due now, in the commit
        of the work that handled them (inside its transaction)."""
        if arrived := self.awaited(subjects):
            await self.collection.update_many(
                {"waiting_for": {"$in": arrived}}, {"$set": {"next_at": utcnow()}}, session=session
            )

    def arrived(self, subjects: Iterable[str]) -> None:
        """That work committed: the loop tries those events now."""
        if arrived := self.awaited(subjects):
            self._awaited.difference_update(arrived)
            self._due.set()

    async def unpark(self, parked: Document, session: Session | None = None) -> None:
        await self.collection.delete_one({"_id": parked["_id"]}, session=session)

    async def run(
        self,
        process: Callable[[Delivery, Document], Awaitable[None]],
        longest_wait: float = 5.0,
        after_failure: float = 0.25,
    ) -> None:
        """Tries parked events when they are due (a background task of the service). Between
        looks it sleeps until the earliest is due, at most `longest_wait` (events another
        replica parked, whose own loop would have tried them had it not stopped), or until
        woken by a park or an arrival here."""
        while True:
            self._due.clear()  # before reading: a wake-up meanwhile is not missed
            wait = after_failure
            try:
                with suppress_instrumentation():  # bookkeeping, not a user action
                    due = self.collection.find({"next_at": {"$lte": utcnow()}}).sort("next_at", 1)
                    found = await due.limit(AT_ONCE).to_list()
                for doc in found:
                    delivery = Delivery(doc["topic"], doc["body"], doc["headers"], doc["key"])
                    await process(delivery, doc)
                wait = 0.0 if len(found) == AT_ONCE else await self._until_due(longest_wait)
            except Exception:
                log_repeated(log, "%s: retrying parked events failed; trying again", self._group)
            if wait > 0:
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._due.wait(), wait)

    async def _until_due(self, longest: float) -> float:
        """Seconds until the earliest parked event is due (0 if one is), at most `longest`."""
        with suppress_instrumentation():
            first = await self.collection.find_one({}, {"next_at": 1}, sort=[("next_at", 1)])
        if first is None:
            return longest
        return max(0.0, min(longest, (first["next_at"] - utcnow()).total_seconds()))
