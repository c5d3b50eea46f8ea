"""Notifications' wiring."""

from __future__ import annotations

from fastapi import FastAPI

from services.notifications import preferences_api
from services.notifications.api import router
from services.notifications.deliveries import DeliveryWorker
from services.notifications.handlers import Notifier, register_handlers
from services.notifications.preference_store import PreferenceStore
from services.notifications.queue import QUEUE_INDEXES, DeliveryQueue
from services.notifications.store import INDEXES, NotificationStore
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
    worker = DeliveryWorker(store, queue, settings, clock=utcnow)
    runtime.background.append(worker.run)
    app = build_app(runtime, [router, preferences_api.router], {**INDEXES, **QUEUE_INDEXES})
    app.state.delivery_worker = worker
    return app
