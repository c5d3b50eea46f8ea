"""What the scheduler owes at a moment: due-soon, overdue and check-in-due reminders. Each has
a key unique per item and kind (and per check-in period), which is what makes it exactly once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Reminder:
    kind: str  # the event type it publishes
    item_id: str  # a commitment id, or a partnership id for check-ins
    due_at: datetime

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.item_id}:{self.due_at.isoformat()}"

    @property
    def event_id(self) -> str:
        """The same reminder always gets the same event id, so publishing it twice is
        impossible (the outbox's key) and harmless downstream (consumers dedupe by id)."""
        return uuid.uuid5(uuid.NAMESPACE_URL, f"commonweave:reminder:{self.key}").hex


def commitment_reminder(
    commitment_id: str, due_at: datetime, now: datetime, due_soon: timedelta
) -> Reminder | None:
    """Overdue once past due; due soon within the window before. A tick that jumps past the
    due date says overdue only (due soon would be stale news)."""
    if now >= due_at:
        return Reminder("commitment.overdue", commitment_id, due_at)
    if now >= due_at - due_soon:
        return Reminder("commitment.due_soon", commitment_id, due_at)
    return None


def check_in_reminder(
    partnership_id: str, since: datetime, cadence: timedelta, now: datetime
) -> Reminder | None:
    """One reminder per cadence period that passes without a check-in, counted from the last
    check-in (or from formation)."""
    periods = int((now - since) / cadence)
    if periods < 1:
        return None
    return Reminder("checkin.due", partnership_id, since + periods * cadence)
