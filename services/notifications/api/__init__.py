"""Notifications' internal HTTP routes, called by the gateway. Thin: parse, call one use case
of `services/notifications/service/`, answer. The webhook registration honours an
`Idempotency-Key` header through `WriteOnce` (shared/idempotency.py)."""

from __future__ import annotations

from fastapi import APIRouter

from services.notifications.api import inbox, preferences, webhook_lifecycle, webhooks

router = APIRouter()
for part in (inbox, preferences, webhooks, webhook_lifecycle):
    router.include_router(part.router)
