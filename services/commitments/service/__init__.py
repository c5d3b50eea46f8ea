"""Commitments' use cases, each a method taking its input (and, for a write, an `answered`
callback) and running in one `Outbox.transaction()`, the unit of work: partnerships
(`partnerships`), the work recorded in them (`records`), what partners read (`reports`,
`health`: health over time);
`reminders` sends due-soon, overdue and check-in-due events on a schedule."""

from __future__ import annotations

from services.commitments.service.health import HealthHistory
from services.commitments.service.partnerships import Partnerships
from services.commitments.service.records import Records
from services.commitments.service.reminders import Scheduler
from services.commitments.service.reports import Reports


class Tracker(Partnerships, Records, Reports, HealthHistory):
    """Every use case of commitments, over one store, outbox, clock and settings."""


__all__ = ["Scheduler", "Tracker"]
