"""Subscriptions (graphql-transport-ws on /graphql), fed from Kafka through the gateway's
event feed and authorized when the subscription starts."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import cast

import strawberry
from strawberry.scalars import JSON

from services.gateway.feed import NOTIFICATION_TOPIC, PARTNERSHIP_TOPICS, Event, EventFeed
from services.gateway.schema.commitments import partnership_view
from services.gateway.schema.context import Info
from services.gateway.schema.mapping import build
from services.gateway.schema.notifications import Notification
from shared.contracts import NotificationCreated
from shared.errors import AppError, ErrorCode


@strawberry.type(description="Something that happened in a partnership, as it happens.")
class PartnershipActivity:
    kind: str = strawberry.field(description="The event type, e.g. commitment.made.")
    partnership_id: strawberry.ID
    subject_id: strawberry.ID
    occurred_at: datetime
    data: JSON = strawberry.field(description="The event's payload.")


def _feed(info: Info) -> EventFeed:
    if info.context.feed is None:
        raise AppError(ErrorCode.UNAVAILABLE, "subscriptions are not available; retry")
    return info.context.feed


@strawberry.type
class Subscription:
    @strawberry.subscription(description="The caller's own notifications as they are created.")
    async def notification_received(self, info: Info) -> AsyncGenerator[Notification, None]:
        caller = await info.context.caller()

        def mine(event: Event) -> bool:
            payload = event.payload
            return isinstance(payload, NotificationCreated) and payload.member_id == (
                caller.member_id
            )

        async for event in _feed(info).listen((NOTIFICATION_TOPIC,), mine):
            n = event.payload
            assert isinstance(n, NotificationCreated)
            yield build(Notification, n, id=strawberry.ID(n.notification_id), read=False)

    @strawberry.subscription(description="Activity in a partnership the caller is part of.")
    async def partnership_activity(
        self, info: Info, partnership_id: strawberry.ID
    ) -> AsyncGenerator[PartnershipActivity, None]:
        caller, _ = await partnership_view(info, partnership_id)  # a party, or the operator

        def about_it(event: Event) -> bool:
            ref = getattr(event.payload, "partnership", None)
            return ref is not None and ref.partnership_id == partnership_id

        async for event in _feed(info).listen(PARTNERSHIP_TOPICS, about_it):
            ref = getattr(event.payload, "partnership")  # noqa: B009
            # Membership and tokens may change while subscribed: check each event, not just
            # the first (a removed member's token is revoked: the subscription ends).
            if not (caller.is_operator or caller.organization_id in ref.organization_ids):
                return
            if not await info.context.still_authenticated():
                return
            yield PartnershipActivity(
                kind=event.envelope.type,
                partnership_id=strawberry.ID(ref.partnership_id),
                subject_id=strawberry.ID(event.envelope.subject),
                occurred_at=event.envelope.time,
                data=cast(JSON, event.payload.model_dump(mode="json")),
            )
