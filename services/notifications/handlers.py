"""Notifications' Kafka subscribers: keep recipients current, then fill inboxes and queue
email for every user-facing event, all in the consumer's transaction (so exactly once)."""

from __future__ import annotations

from services.notifications.store import NotificationStore
from services.notifications.templates import TEMPLATES
from services.notifications.webhooks import cloudevent_json
from shared.consumer import EventConsumer
from shared.contracts import MemberJoined, NotificationCreated, OrganizationRegistered, Payload
from shared.events import Envelope, utcnow
from shared.outbox import Transaction
from shared.sortable_id import sortable_id


async def keep_recipients(store: NotificationStore, payload: Payload, tx: Transaction) -> None:
    if isinstance(payload, OrganizationRegistered):
        profile = payload.profile
        await store.save_recipient(
            payload.admin, profile.network_id, profile.organization_id, tx.session
        )
    elif isinstance(payload, MemberJoined):
        await store.save_recipient(
            payload.member, payload.network_id, payload.organization_id, tx.session
        )


def register_handlers(consumer: EventConsumer, store: NotificationStore, email_on: bool) -> None:
    async def notify(payload: Payload, envelope: Envelope, tx: Transaction) -> None:
        await keep_recipients(store, payload, tx)
        message, audience = TEMPLATES[envelope.type](payload)
        for recipient in await store.audience(audience, tx.session):
            created = NotificationCreated(
                notification_id=sortable_id(),
                network_id=audience.network_id,
                member_id=recipient["_id"],
                kind=envelope.type,
                title=message.title,
                body=message.body,
                subject_id=audience.subject_id,
                created_at=utcnow(),
            )
            await store.add_to_inbox(
                {
                    "_id": created.notification_id,
                    **created.model_dump(),
                    "event_id": envelope.id,
                    "channel": "inbox",
                    "read": False,
                },
                tx.session,
            )
            if email_on:
                await store.enqueue(
                    {
                        "_id": f"{envelope.id}:{recipient['_id']}:email",
                        "channel": "email",
                        "to": recipient["email"],
                        "subject": message.title,
                        "body": message.body,
                        "status": "pending",
                        "attempts": 0,
                        "next_at": utcnow(),
                    },
                    tx.session,
                )
            await tx.publish("notification.created", created.member_id, created)
        body = cloudevent_json(envelope, payload.model_dump(mode="json")).decode()
        for webhook in await store.webhooks_for(audience, envelope.type, tx.session):
            await store.enqueue(
                {
                    "_id": f"{envelope.id}:{webhook['_id']}:webhook",
                    "channel": "webhook",
                    "webhook_id": webhook["_id"],
                    "body": body,
                    "status": "pending",
                    "attempts": 0,
                    "next_at": utcnow(),
                },
                tx.session,
            )

    for kind in TEMPLATES:
        consumer.subscribe(kind, notify)
