"""Matching's Kafka subscribers: thin; the matcher keeps the read model and the index."""

from __future__ import annotations

from services.matching.service import Matcher
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
from shared.outbox import Transaction

ProfileEvent = OrganizationRegistered | OrganizationUpdated | OrganizationArchived
NeedEvent = NeedReported | NeedUpdated


def register_handlers(consumer: EventConsumer, matcher: Matcher) -> None:
    async def on_profile(event: ProfileEvent, _: Envelope, tx: Transaction) -> None:
        await matcher.on_profile(event.profile, tx)

    async def on_need(event: NeedEvent, _: Envelope, tx: Transaction) -> None:
        await matcher.on_need(event.need, tx)

    async def on_reliability(
        event: OrganizationReliabilityChanged, _: Envelope, tx: Transaction
    ) -> None:
        await matcher.on_reliability(event.organization_id, event.reliability, tx)

    for topic in ("organization.registered", "organization.updated", "organization.archived"):
        consumer.subscribe(topic, on_profile)
    for topic in ("need.reported", "need.updated"):
        consumer.subscribe(topic, on_need)
    consumer.subscribe("organization.reliability_changed", on_reliability)

    async def on_link(event: NetworkLinkChanged, _: Envelope, tx: Transaction) -> None:
        await matcher.on_link(event.link, tx)

    consumer.subscribe("network.link_changed", on_link)
