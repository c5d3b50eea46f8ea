"""Commitments' use cases, each a method taking its inputs and a `CommitmentsUnitOfWork`
(service/unit_of_work.py), writing in one `async with uow:` and answering a typed result:
partnerships (`partnerships`), the work recorded in them (`records`), what partners read
(`reports`, `health`: health over time, `reads`); the updates log and the community's
voice (`voice`);
`reminders` sends due-soon, overdue and check-in-due events on a schedule."""

from __future__ import annotations

from services.commitments.service.health import HealthHistory
from services.commitments.service.partnerships import Partnerships
from services.commitments.service.reads import Reads
from services.commitments.service.records import Records
from services.commitments.service.reminders import Scheduler
from services.commitments.service.reports import Reports


class Tracker(Partnerships, Records, Reports, HealthHistory, Reads):
    """Every use case of commitments, on one clock and settings."""


__all__ = ["Scheduler", "Tracker"]
