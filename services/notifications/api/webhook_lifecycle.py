"""An organization's webhooks after registration: list, delete, enable, rotate the secret."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from services.notifications.service.webhook_lifecycle import WebhookLifecycle
from services.notifications.store import NotificationStore
from services.notifications.store.webhook_admin import WebhookAdminStore
from shared.contracts.notifications import RotatedWebhookSecret, WebhookListing
from shared.contracts.requests import notifications as rq
from shared.events import utcnow
from shared.idempotency import WriteOnce
from shared.service import Runtime, get_runtime

router = APIRouter()


def get_lifecycle(runtime: Runtime = Depends(get_runtime)) -> WebhookLifecycle:
    return WebhookLifecycle(
        NotificationStore(runtime.db), WebhookAdminStore(runtime.db), runtime.outbox, utcnow
    )


@router.get("/webhooks", response_model=list[WebhookListing])
async def list_webhooks(
    network_id: str,
    organization_id: str | None = Query(None),
    lifecycle: WebhookLifecycle = Depends(get_lifecycle),
) -> list[dict[str, Any]]:
    return await lifecycle.webhooks(network_id, organization_id)


@router.delete("/webhooks/{webhook_id}", response_model=WebhookListing)
async def delete_webhook(
    webhook_id: str, lifecycle: WebhookLifecycle = Depends(get_lifecycle)
) -> dict[str, Any]:
    return await lifecycle.delete(webhook_id)


@router.post("/webhooks/{webhook_id}/enable", response_model=WebhookListing)
async def enable_webhook(
    webhook_id: str, lifecycle: WebhookLifecycle = Depends(get_lifecycle)
) -> dict[str, Any]:
    return await lifecycle.enable(webhook_id)


@router.post("/webhooks/{webhook_id}/rotate-secret", response_model=RotatedWebhookSecret)
async def rotate_secret(
    webhook_id: str,
    body: rq.RotateWebhookSecret,
    lifecycle: WebhookLifecycle = Depends(get_lifecycle),
    once: WriteOnce = Depends(),
) -> dict[str, Any]:
    # the webhook is part of the request: one key used for two webhooks is a CONFLICT
    request = {"webhook_id": webhook_id, **body.model_dump()}
    return await once(request, lambda answered: lifecycle.rotate_secret(webhook_id, body, answered))
