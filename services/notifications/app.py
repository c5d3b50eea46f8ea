"""Notifications' wiring: the unit of work, the use cases, the event handlers on the consumer,
the delivery worker in the background, the routes and indexes."""

from __future__ import annotations

from fastapi import FastAPI

from services.notifications.api import router
from services.notifications.handlers import register_handlers
from services.notifications.service import (
    DeliveryWorker,
    InboxService,
    Notifier,
    SignInMailer,
    WebhookLifecycle,
    WebhookService,
)
from services.notifications.store import INDEXES, MongoNotificationsUnitOfWork
from shared.service import build_app, build_runtime
from shared.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    runtime = build_runtime("notifications", settings)
    clock, email_on = runtime.clock, bool(settings.smtp_host)

    def unit_of_work() -> MongoNotificationsUnitOfWork:
        return MongoNotificationsUnitOfWork(runtime.outbox)

    notifier = Notifier(email_on=email_on, digest_hour=settings.digest_hour, clock=clock)
    mailer = SignInMailer(email_on, settings.public_url_of_gateway(), clock)
    runtime.consumer.use_unit_of_work(unit_of_work)
    register_handlers(runtime.consumer, notifier, mailer)
    worker = DeliveryWorker(unit_of_work, settings, clock, wall_clock=runtime.wall_clock)
    runtime.background.append(worker.run)
    app = build_app(runtime, [router], INDEXES)
    app.state.unit_of_work = unit_of_work
    app.state.delivery_worker = worker
    app.state.inbox = InboxService(settings.digest_hour)
    app.state.webhooks = WebhookService(settings.webhook_allow_loopback, clock)
    app.state.lifecycle = WebhookLifecycle(clock)
    return app
