"""Intake's use cases, each a method taking its inputs and an `IntakeUnitOfWork`
(service/unit_of_work.py), writing in one `async with uow:`: networks and their join
codes (`networks`), the links between networks (`links`), organizations (`organizations`) and
their members (`members`), community needs (`needs`), survey imports (`surveys`) and Open
Referral HSDS directories (`directory`). Each write checks its input against the store, asks
the domain for the new state, and stores (`uow.<repository>`) and announces (`uow.publish`) it
in that one transaction; `uow.answer` inside it keeps an Idempotency-Key's answer and the write
together (shared/idempotency.py's `WriteOnce`). Each answers a typed result."""

from __future__ import annotations

from services.intake.service.directory import Directory
from services.intake.service.links import Links
from services.intake.service.members import Members
from services.intake.service.needs import Needs
from services.intake.service.networks import Networks
from services.intake.service.organizations import Organizations
from services.intake.service.surveys import Surveys


class IntakeService(Networks, Links, Organizations, Members, Needs, Surveys, Directory):
    """Every use case of intake, on the service's clock (and the wall clock for security
    lifetimes)."""


__all__ = ["IntakeService"]
