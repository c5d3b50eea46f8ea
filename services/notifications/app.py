"""Notifications' wiring."""

from __future__ import annotations

from fastapi import FastAPI

from services.notifications.api import router
from services.notifications.handlers import register_handlers
from services.notifications.store import INDEXES, NotificationStore
from shared.service import build_app, build_runtime
from shared.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    runtime = build_runtime("notifications", settings)
    register_handlers(runtime.consumer, NotificationStore(runtime.db))
    return build_app(runtime, [router], INDEXES)
