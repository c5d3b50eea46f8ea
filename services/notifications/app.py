"""Notifications' wiring: the stores, the event use case on the consumer, the delivery worker
in the background, the routes and indexes."""

from __future__ import annotations

from fastapi import FastAPI

from services.notifications.api import router
from services.notifications.deliveries import DeliveryWorker
from services.notifications.handlers import register_handlers
from services.notifications.service import Notifier
from services.notifications.service.sign_in import SignInMailer
from services.notifications.store import (
    INDEXES,
    DeliveryQueue,
    NotificationStore,
    PreferenceStore,
)
from shared.events import utcnow
from shared.service import build_app, build_runtime
from shared.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    runtime = build_runtime("notifications", settings)
    store, queue = NotificationStore(runtime.db), DeliveryQueue(runtime.db)
    notifier = Notifier(
        store,
        queue,
        PreferenceStore(runtime.db),
        email_on=bool(settings.smtp_host),
        digest_hour=settings.digest_hour,
        clock=utcnow,
    )
    register_handlers(runtime.consumer, notifier)
    mailer = SignInMailer(
        queue,
        bool(settings.smtp_host),
        settings.public_url_of_gateway(),
        PreferenceStore(runtime.db),
    )
    runtime.consumer.subscribe("member.sign_in_requested", mailer)
    worker = DeliveryWorker(store, queue, settings, clock=utcnow)
    runtime.background.append(worker.run)
    app = build_app(runtime, [router], INDEXES)
    app.state.delivery_worker = worker
    return app
