"""What the route modules share: the use cases as FastAPI dependencies."""

from __future__ import annotations

from fastapi import Depends

from services.notifications.service import InboxService, WebhookService
from services.notifications.store import NotificationStore, PreferenceStore
from shared.service import Runtime, get_runtime


def get_inbox(runtime: Runtime = Depends(get_runtime)) -> InboxService:
    store, preferences = NotificationStore(runtime.db), PreferenceStore(runtime.db)
    return InboxService(store, preferences, runtime.settings.digest_hour)


def get_webhooks(runtime: Runtime = Depends(get_runtime)) -> WebhookService:
    allow_loopback = runtime.settings.webhook_allow_loopback
    return WebhookService(NotificationStore(runtime.db), runtime.outbox, allow_loopback)
