"""Notifications' wiring."""

from __future__ import annotations

from fastapi import FastAPI

from services.notifications.api import router
from services.notifications.deliveries import DeliveryWorker
from services.notifications.handlers import register_handlers
from services.notifications.store import INDEXES, NotificationStore
from shared.service import build_app, build_runtime
from shared.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    runtime = build_runtime("notifications", settings)
    store = NotificationStore(runtime.db)
    email_on = bool(settings.smtp_host)
    register_handlers(runtime.consumer, store, email_on)
    runtime.background.append(DeliveryWorker(store, settings).run)
    return build_app(runtime, [router], INDEXES)
