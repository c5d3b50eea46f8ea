"""Notifications' wiring."""

from __future__ import annotations

from fastapi import FastAPI

from services.notifications import preferences_api
from services.notifications.api import router
from services.notifications.deliveries import DeliveryWorker
from services.notifications.handlers import Notifier, register_handlers
from services.notifications.preference_store import PreferenceStore
from services.notifications.store import INDEXES, NotificationStore
from shared.events import utcnow
from shared.service import build_app, build_runtime
from shared.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    runtime = build_runtime("notifications", settings)
    store = NotificationStore(runtime.db)
    notifier = Notifier(
        store,
        PreferenceStore(runtime.db),
        email_on=bool(settings.smtp_host),
        digest_hour=settings.digest_hour,
        clock=utcnow,
    )
    register_handlers(runtime.consumer, notifier)
    worker = DeliveryWorker(store, settings, clock=utcnow)
    runtime.background.append(worker.run)
    app = build_app(runtime, [router, preferences_api.router], INDEXES)
    app.state.delivery_worker = worker
    return app
