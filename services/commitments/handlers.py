"""Commitments' Kafka subscribers: keep the organization read model current and form one
partnership per accepted match, each in the event's unit of work."""

from __future__ import annotations

from services.commitments.service import Tracker
from services.commitments.service.unit_of_work import CommitmentsUnitOfWork
from shared.consumer import EventConsumer
from shared.contracts import (
    MatchAccepted,
    OrganizationArchived,
    OrganizationRegistered,
    OrganizationUpdated,
)
from shared.events import Envelope

ProfileEvent = OrganizationRegistered | OrganizationUpdated | OrganizationArchived


def register_handlers(consumer: EventConsumer, tracker: Tracker) -> None:
    async def on_profile(event: ProfileEvent, _: Envelope, uow: CommitmentsUnitOfWork) -> None:
        await tracker.keep_profile(event.profile, uow)

    async def on_match_accepted(
        event: MatchAccepted, _: Envelope, uow: CommitmentsUnitOfWork
    ) -> None:
        await tracker.form_from_match(event, uow)

    for topic in ("organization.registered", "organization.updated", "organization.archived"):
        consumer.subscribe(topic, on_profile)
    consumer.subscribe("match.accepted", on_match_accepted)
