"""The reminder scheduler: due-soon, overdue and check-in-due events, each exactly once per item
and kind (and check-in period), however many replicas run and whenever one restarts.

A reminder's event id follows from its key, so its outbox row can exist only once: a second
replica (or a rerun after a crash) fails on that key and publishes nothing. The key is also
recorded in `reminders` (after the event, in the same transaction) so later ticks skip it
without trying. A crash before commit leaves neither, and the next tick sends it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from pymongo.errors import DuplicateKeyError, OperationFailure

from services.commitments.domain.records import cadence_of, commitment_event, ref
from services.commitments.domain.reminders import (
    Reminder,
    check_in_reminder,
    commitment_reminder,
)
from services.commitments.service.base import UseCases
from services.commitments.service.unit_of_work import CommitmentsUnitOfWork
from shared import contracts as c
from shared.mongo import Document

log = logging.getLogger(__name__)
BATCH = 500


class Scheduler:
    def __init__(
        self, tracker: UseCases, unit_of_work: Callable[[], CommitmentsUnitOfWork]
    ) -> None:
        self.tracker = tracker
        self.unit_of_work = unit_of_work  # a new one per reminder
        settings = tracker.settings
        self.due_soon = timedelta(hours=settings.commitment_due_soon_hours)
        self.interval = settings.scheduler_interval_seconds

    async def run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:  # keep going: the next tick retries whatever was not sent
                log.exception("scheduler tick failed")
            await asyncio.sleep(self.interval)

    async def tick(self, now: datetime | None = None) -> int:
        """Sends what is owed at `now` (the service clock by default); answers how many."""
        now = now or self.tracker.clock.now()
        sent = 0
        reads = self.unit_of_work()
        for doc in await reads.records.open_commitments_due_by(now + self.due_soon, BATCH):
            reminder = commitment_reminder(doc["_id"], doc["due_at"], now, self.due_soon)
            if reminder is not None and await self._send(reminder, now):
                sent += 1
        for p in await reads.partnerships.due_check_in(now, BATCH):
            since = p["last_check_in_at"] or p["formed_at"]
            reminder = check_in_reminder(p["_id"], since, cadence_of(p), now)
            if reminder is not None and await self._send(reminder, now):
                sent += 1
        if sent:
            log.info("scheduler sent %d reminders at %s", sent, now.isoformat())
        return sent

    async def _send(self, reminder: Reminder, now: datetime) -> bool:
        uow = self.unit_of_work()
        if await uow.reminders.claimed(reminder.key):
            return False
        try:
            async with uow:
                if reminder.kind == "checkin.due":
                    p = await self._partnership(reminder.item_id, uow)
                    due = c.CheckInDue(
                        partnership=ref(p),
                        due_at=reminder.due_at,
                        last_check_in_at=p["last_check_in_at"],
                    )
                    await uow.publish(due, p["_id"], reminder.event_id)
                    p["next_check_in_at"] = reminder.due_at + cadence_of(p)
                    await uow.partnerships.set(
                        p["_id"], {"next_check_in_at": p["next_check_in_at"]}
                    )
                    await self.tracker.refresh_health(p, uow, now)
                else:
                    doc = await uow.records.commitment(reminder.item_id)
                    assert doc is not None
                    p = await self._partnership(doc["partnership_id"], uow)
                    event = commitment_event(reminder.kind, p, doc)
                    await uow.publish(event, doc["_id"], reminder.event_id)
                await uow.reminders.claim(reminder.key, now)
        except (DuplicateKeyError, OperationFailure) as exc:
            # Another replica claimed it first (or our transaction collided with its): sent
            # once, by it; or not yet, and the next tick tries again.
            log.debug("reminder %s left to another run: %s", reminder.key, exc)
            return False
        return True

    async def _partnership(self, partnership_id: str, uow: CommitmentsUnitOfWork) -> Document:
        p = await uow.partnerships.get(partnership_id)
        assert p is not None
        return p
