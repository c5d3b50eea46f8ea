"""Intake's use cases, each a method taking its input (and, for a write, an `answered`
callback) and running in one `Outbox.transaction()`, the unit of work: networks and their join
codes (`networks`), the links between networks (`links`), organizations (`organizations`) and
their members (`members`), community needs (`needs`), survey imports (`surveys`) and Open
Referral HSDS directories (`directory`). Each write checks its input against the store, asks
the domain for the new state, and stores and announces it in that one transaction; calling
`answered` inside it keeps an Idempotency-Key's answer and the write together
(shared/idempotency.py's `WriteOnce`)."""

from __future__ import annotations

from services.intake.service.directory import Directory
from services.intake.service.links import Links
from services.intake.service.members import Members
from services.intake.service.needs import Needs
from services.intake.service.networks import Networks
from services.intake.service.organizations import Organizations
from services.intake.service.surveys import Surveys


class IntakeService(Networks, Links, Organizations, Members, Needs, Surveys, Directory):
    """Every use case of intake, over one store, outbox and clock."""


__all__ = ["IntakeService"]
