"""Matching's Kafka subscribers: keep the read model current."""

from __future__ import annotations

from services.matching.store import MatchingStore
from shared.consumer import EventConsumer
from shared.contracts import OrganizationRegistered
from shared.events import Envelope
from shared.outbox import Transaction


def register_handlers(consumer: EventConsumer, store: MatchingStore) -> None:
    async def on_registered(event: OrganizationRegistered, _: Envelope, tx: Transaction) -> None:
        await store.save_profile(event.profile, tx.session)

    consumer.subscribe("organization.registered", on_registered)
