"""Matching's Kafka subscribers: thin; the matcher keeps the read model and the index, in the
event's unit of work."""

from __future__ import annotations

from services.matching.service import Matcher
from services.matching.unit_of_work import MatchingUnitOfWork
from shared.consumer import EventConsumer
from shared.contracts import (
    NeedReported,
    NeedUpdated,
    NetworkLinkChanged,
    OrganizationArchived,
    OrganizationRegistered,
    OrganizationReliabilityChanged,
    OrganizationUpdated,
)
from shared.events import Envelope

ProfileEvent = OrganizationRegistered | OrganizationUpdated | OrganizationArchived
NeedEvent = NeedReported | NeedUpdated


def register_handlers(consumer: EventConsumer, matcher: Matcher) -> None:
    async def on_profile(event: ProfileEvent, _: Envelope, uow: MatchingUnitOfWork) -> None:
        await matcher.on_profile(event.profile, uow)

    async def on_need(event: NeedEvent, _: Envelope, uow: MatchingUnitOfWork) -> None:
        await matcher.on_need(event.need, uow)

    async def on_reliability(
        event: OrganizationReliabilityChanged, _: Envelope, uow: MatchingUnitOfWork
    ) -> None:
        await matcher.on_reliability(event.organization_id, event.reliability, uow)

    for topic in ("organization.registered", "organization.updated", "organization.archived"):
        consumer.subscribe(topic, on_profile)
    for topic in ("need.reported", "need.updated"):
        consumer.subscribe(topic, on_need)
    consumer.subscribe("organization.reliability_changed", on_reliability)

    async def on_link(event: NetworkLinkChanged, _: Envelope, uow: MatchingUnitOfWork) -> None:
        await matcher.on_link(event.link, uow)

    consumer.subscribe("network.link_changed", on_link)
