"""The event use case: keep recipients current, then fill inboxes and queue email (as each
member's preferences say) and webhook deliveries for every user-facing event, all in the
consumer's unit of work, so exactly once per event, recipient and channel whatever the
redelivery."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.notifications.domain.operators import OPERATOR_TEMPLATES
from services.notifications.domain.preferences import Preferences
from services.notifications.domain.schedule import EmailPlan, deliverable, plan_email
from services.notifications.domain.standard_webhooks import cloudevent_json
from services.notifications.domain.templates import Audience, Message, messages
from services.notifications.service.notify import Telling, tell_all
from services.notifications.service.unit_of_work import DigestEntry, NotificationsUnitOfWork
from shared.clock import Clock
from shared.consumer import NotYetKnown
from shared.contracts import (
    OPERATOR_PREFIX,
    MemberJoined,
    MemberRemoved,
    OrganizationRegistered,
    Payload,
)
from shared.events import Envelope
from shared.i18n import Catalogs
from shared.mongo import Document


async def keep_recipients(payload: Payload, uow: NotificationsUnitOfWork) -> None:
    """Members as intake announces them; one who joins later takes the organization's time
    zone from a colleague."""
    if isinstance(payload, OrganizationRegistered):
        p = payload.profile
        await uow.recipients.save(payload.admin, p.network_id, p.organization_id, p.time_zone)
    elif isinstance(payload, MemberJoined):
        zone = await uow.recipients.time_zone_of(payload.organization_id)
        await uow.recipients.save(payload.member, payload.network_id, payload.organization_id, zone)
    elif isinstance(payload, MemberRemoved):
        await uow.recipients.remove(payload.member.member_id)


@dataclass
class Notifier:
    email_on: bool
    digest_hour: int
    clock: Clock

    async def hear(
        self, payload: Payload, envelope: Envelope, uow: NotificationsUnitOfWork
    ) -> None:
        """One event (in the consumer's unit of work): its audience told in the app, by email
        and through their webhooks."""
        await keep_recipients(payload, uow)
        told = list(messages(envelope.type, payload))
        if envelope.type in OPERATOR_TEMPLATES:
            told.append(OPERATOR_TEMPLATES[envelope.type](payload))
        await self.notify(told, envelope, uow)
        # webhooks: of the organizations the event is about; network-wide news (the
        # operator's message alone) reaches network-wide webhooks too
        if told:
            await self.queue_webhooks(payload, told[0][1], envelope, uow)

    async def recipients(self, audience: Audience, uow: NotificationsUnitOfWork) -> list[Document]:
        members = [m for m in audience.member_ids if not m.startswith(OPERATOR_PREFIX)]
        # an operator alone (network-wide news) is no recipient row: nothing to look up
        wanted = audience.organization_ids or members
        found = await uow.recipients.audience(audience) if wanted else []
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
        self,
        told: list[tuple[Message, Audience]],
        envelope: Envelope,
        uow: NotificationsUnitOfWork,
    ) -> None:
        """Every message of the event: their recipients' preferences read once, their inbox
        rows and `notification.created` events written once, whatever the number of
        messages."""
        # digest-only news without email reaches no one
        wanted = [(m, to) for m, to in told if to.at_once or self.email_on]
        now = self.clock.now()
        reached = [(m, to, await self.recipients(to, uow)) for m, to in wanted]
        everyone = list(dict.fromkeys(r["_id"] for _, _, found in reached for r in found))
        chosen = await uow.preferences.of(everyone) if everyone else {}
        tellings = [
            Telling([r["_id"] for r in found], m, to.network_id, to.subject_id)
            for m, to, found in reached
            if to.at_once  # else no inbox entry: it waits for the digest
        ]
        if tellings:
            await tell_all(uow, tellings, chosen, kind=envelope.type, event_id=envelope.id, at=now)
        if not self.email_on:
            return
        for message, audience, recipients in reached:
            for recipient in recipients:
                if deliverable(recipient.get("email")):
                    preferences = chosen.get(recipient["_id"], Preferences())
                    plan = plan_email(preferences, envelope.type, now, self.digest_hour)
                    if plan is not None and (audience.at_once or plan.digest_day is not None):
                        mine = message.drawn(Catalogs.load().get(preferences.language))
                        await self.queue_email(recipient, plan, mine, envelope, now, uow)

    async def queue_email(
        self,
        recipient: Document,
        plan: EmailPlan,
        message: Message,
        envelope: Envelope,
        now: datetime,
        uow: NotificationsUnitOfWork,
    ) -> None:
        member_id, to = recipient["_id"], recipient["email"]
        if plan.digest_day is None:
            delivery_id = f"{envelope.id}:{member_id}:email"
            await uow.deliveries.add_email(delivery_id, to, message, plan.send_at, plan.held)
            return
        digest_id = f"digest:{member_id}:{plan.digest_day.isoformat()}"
        await uow.deliveries.add_to_digest(
            DigestEntry(digest_id, member_id, to, plan.send_at),
            f"{envelope.id}:{member_id}:digest",
            message,
            envelope.type,
            now,
        )

    async def queue_webhooks(
        self,
        payload: Payload,
        audience: Audience,
        envelope: Envelope,
        uow: NotificationsUnitOfWork,
    ) -> None:
        body = cloudevent_json(envelope, payload.model_dump(mode="json")).decode()
        for webhook in await uow.webhooks.hearing(audience, envelope.type):
            delivery_id = f"{envelope.id}:{webhook['_id']}:webhook"
            await uow.deliveries.add_webhook_post(
                delivery_id, webhook["_id"], body, self.clock.now()
            )
