"""The event use case: keep recipients current, then fill inboxes and queue email (as each
member's preferences say) and webhook deliveries for every user-facing event, all in the
consumer's transaction (the unit of work), so exactly once per event, recipient and channel
whatever the redelivery."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from services.notifications.domain.operators import OPERATOR_TEMPLATES
from services.notifications.domain.preferences import Preferences
from services.notifications.domain.schedule import EmailPlan, deliverable, plan_email
from services.notifications.domain.templates import Audience, Message, messages
from services.notifications.store import DeliveryQueue, NotificationStore, PreferenceStore
from services.notifications.webhooks import cloudevent_json
from shared.consumer import NotYetKnown
from shared.contracts import (
    OPERATOR_PREFIX,
    MemberJoined,
    MemberRemoved,
    NotificationCreated,
    OrganizationRegistered,
    Payload,
)
from shared.events import Envelope
from shared.mongo import Document
from shared.outbox import Transaction
from shared.sortable_id import sortable_id

Clock = Callable[[], datetime]


async def keep_read_models(store: NotificationStore, payload: Payload, tx: Transaction) -> None:
    if isinstance(payload, OrganizationRegistered):
        p = payload.profile
        await store.save_recipient(
            payload.admin, p.network_id, p.organization_id, tx.session, p.time_zone
        )
    elif isinstance(payload, MemberJoined):
        await store.save_recipient(
            payload.member, payload.network_id, payload.organization_id, tx.session
        )
    elif isinstance(payload, MemberRemoved):
        await store.remove_recipient(payload.member.member_id, tx.session)


@dataclass
class Notifier:
    store: NotificationStore
    queue: DeliveryQueue
    preferences: PreferenceStore
    email_on: bool
    digest_hour: int
    clock: Clock

    async def __call__(self, payload: Payload, envelope: Envelope, tx: Transaction) -> None:
        await keep_read_models(self.store, payload, tx)
        audience: Audience | None = None
        for message, to in messages(envelope.type, payload):
            await self.notify(message, to, envelope, tx)
            audience = audience or to  # webhooks: of the organizations the event is about
        if envelope.type in OPERATOR_TEMPLATES:
            message, to_operator = OPERATOR_TEMPLATES[envelope.type](payload)
            await self.notify(message, to_operator, envelope, tx)
            audience = audience or to_operator  # network-wide webhooks hear of it too
        if audience is not None:
            await self.queue_webhooks(payload, audience, envelope, tx)

    async def recipients(self, audience: Audience, tx: Transaction) -> list[Document]:
        members = [m for m in audience.member_ids if not m.startswith(OPERATOR_PREFIX)]
        # an operator alone (network-wide news) is no recipient row: nothing to look up
        wanted = audience.organization_ids or members
        found = await self.store.audience(audience, tx.session) if wanted else []
        # Every registered organization has an admin here; none means its registration has
        # not arrived yet (another topic, no order between them): wait for it, don't drop.
        unheard = set(audience.organization_ids) - {r["organization_id"] for r in found}
        if unheard:
            raise NotYetKnown(
                f"organization {', '.join(sorted(unheard))} not registered yet", unheard
            )
        known = {r["_id"] for r in found}
        # operators are not in intake's member events; they have an inbox and no email
        operators = [
            {"_id": m, "email": None} for m in audience.member_ids if m.startswith(OPERATOR_PREFIX)
        ]
        return found + [o for o in operators if o["_id"] not in known]

    async def notify(
        self, message: Message, audience: Audience, envelope: Envelope, tx: Transaction
    ) -> None:
        if not (audience.at_once or self.email_on):
            return  # for the digest only, and there is no email
        now = self.clock()
        recipients = await self.recipients(audience, tx)
        told = recipients if audience.at_once else []  # digest only: no inbox entry
        created = [
            NotificationCreated(
                notification_id=sortable_id(),
                network_id=audience.network_id,
                member_id=recipient["_id"],
                kind=envelope.type,
                title=message.title,
                body=message.body,
                subject_id=audience.subject_id,
                created_at=now,
            )
            for recipient in told
        ]
        # the inbox is mandatory; the unique (event, member, channel) index backs it up
        rows = [
            {
                "_id": c.notification_id,
                **c.model_dump(),
                "event_id": envelope.id,
                "channel": "inbox",
                "read": False,
            }
            for c in created
        ]
        await self.store.add_to_inbox(rows, tx.session)
        await tx.publish_many([("notification.created", c.member_id, c) for c in created])
        if not self.email_on:
            return
        chosen = await self.preferences.of([r["_id"] for r in recipients], tx.session)
        for recipient in recipients:
            if deliverable(recipient.get("email")):
                preferences = chosen.get(recipient["_id"], Preferences())
                plan = plan_email(preferences, envelope.type, now, self.digest_hour)
                if plan is not None and (audience.at_once or plan.digest_day is not None):
                    await self.queue_email(recipient, plan, message, envelope, now, tx)

    async def queue_email(
        self,
        recipient: Document,
        plan: EmailPlan,
        message: Message,
        envelope: Envelope,
        now: datetime,
        tx: Transaction,
    ) -> None:
        member_id = recipient["_id"]
        if plan.digest_day is None:
            await self.queue.enqueue(
                {
                    "_id": f"{envelope.id}:{member_id}:email",
                    "channel": "email",
                    "to": recipient["email"],
                    "subject": message.title,
                    "body": message.body,
                    "status": "pending",
                    "attempts": 0,
                    "next_at": plan.send_at,
                    "held": plan.held,
                },
                tx.session,
            )
            return
        digest_id = f"digest:{member_id}:{plan.digest_day.isoformat()}"
        await self.queue.add_digest_item(
            {
                "_id": f"{envelope.id}:{member_id}:digest",
                "member_id": member_id,
                "kind": envelope.type,
                "title": message.title,
                "body": message.body,
                "created_at": now,
                "sent": False,
            },
            tx.session,
        )
        await self.queue.ensure_digest(
            {
                "_id": digest_id,
                "channel": "digest",
                "member_id": member_id,
                "to": recipient["email"],
                "status": "pending",
                "attempts": 0,
                "next_at": plan.send_at,
            },
            tx.session,
        )

    async def queue_webhooks(
        self, payload: Payload, audience: Audience, envelope: Envelope, tx: Transaction
    ) -> None:
        body = cloudevent_json(envelope, payload.model_dump(mode="json")).decode()
        for webhook in await self.store.webhooks_for(audience, envelope.type, tx.session):
            await self.queue.enqueue(
                {
                    "_id": f"{envelope.id}:{webhook['_id']}:webhook",
                    "channel": "webhook",
                    "webhook_id": webhook["_id"],
                    "body": body,
                    "status": "pending",
                    "attempts": 0,
                    "next_at": self.clock(),
                },
                tx.session,
            )
