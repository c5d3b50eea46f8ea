"""Notifications' Kafka subscribers, each in the event's unit of work: every kind it notifies
of (services/notifications/domain/templates.py and operators.py: `checkin.due` among them) goes
to the Notifier, a sign-in request to the SignInMailer."""

from __future__ import annotations

from services.notifications.domain import NOTIFIED_KINDS
from services.notifications.service import Notifier, SignInMailer
from services.notifications.service.unit_of_work import NotificationsUnitOfWork
from shared.consumer import EventConsumer
from shared.contracts import Payload, SignInRequested
from shared.events import Envelope


def register_handlers(consumer: EventConsumer, notifier: Notifier, mailer: SignInMailer) -> None:
    async def on_notified(event: Payload, envelope: Envelope, uow: NotificationsUnitOfWork) -> None:
        await notifier.hear(event, envelope, uow)

    async def on_sign_in_requested(
        event: SignInRequested, envelope: Envelope, uow: NotificationsUnitOfWork
    ) -> None:
        await mailer.send(event, envelope, uow)

    for kind in NOTIFIED_KINDS:
        consumer.subscribe(kind, on_notified)
    consumer.subscribe("member.sign_in_requested", on_sign_in_requested)
