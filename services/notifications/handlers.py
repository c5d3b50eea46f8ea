"""Notifications' Kafka subscribers: keep recipients current and fill inboxes."""

from __future__ import annotations

from services.notifications import templates
from services.notifications.store import NotificationStore
from shared.consumer import EventConsumer
from shared.contracts import NotificationCreated, OrganizationRegistered
from shared.events import Envelope, utcnow
from shared.outbox import Transaction
from shared.sortable_id import sortable_id


def register_handlers(consumer: EventConsumer, store: NotificationStore) -> None:
    async def on_registered(event: OrganizationRegistered, env: Envelope, tx: Transaction) -> None:
        profile = event.profile
        await store.save_recipient(
            event.admin, profile.network_id, profile.organization_id, tx.session
        )
        message = templates.welcome(event)
        created = NotificationCreated(
            notification_id=sortable_id(),
            network_id=profile.network_id,
            member_id=event.admin.member_id,
            kind=message.kind,
            title=message.title,
            body=message.body,
            subject_id=profile.organization_id,
            created_at=utcnow(),
        )
        await store.add_to_inbox(
            {
                "_id": created.notification_id,
                **created.model_dump(),
                "event_id": env.id,
                "channel": "inbox",
                "read": False,
            },
            tx.session,
        )
        await tx.publish("notification.created", created.member_id, created)

    consumer.subscribe("organization.registered", on_registered)
