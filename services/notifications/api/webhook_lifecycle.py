"""An organization's webhooks after registration: list, delete, enable, rotate the secret."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from services.notifications.api.common import Lifecycle, Uow
from services.notifications.service.webhook_lifecycle import RotateSecretInput
from shared.contracts.notifications import RotatedWebhookSecret, WebhookListing
from shared.idempotency import WriteOnce
from shared.mongo import retry_transient

router = APIRouter()


@router.get("/webhooks", response_model=list[WebhookListing])
async def list_webhooks(
    network_id: str, lifecycle: Lifecycle, uow: Uow, organization_id: str | None = Query(None)
) -> list[dict[str, Any]]:
    return await lifecycle.webhooks(network_id, organization_id, uow)


@router.delete("/webhooks/{webhook_id}", response_model=WebhookListing)
async def delete_webhook(webhook_id: str, lifecycle: Lifecycle, uow: Uow) -> dict[str, Any]:
    return await retry_transient(lambda: lifecycle.delete(webhook_id, uow))


@router.post("/webhooks/{webhook_id}/enable", response_model=WebhookListing)
async def enable_webhook(webhook_id: str, lifecycle: Lifecycle, uow: Uow) -> dict[str, Any]:
    return await retry_transient(lambda: lifecycle.enable(webhook_id, uow))


@router.post("/webhooks/{webhook_id}/rotate-secret", response_model=RotatedWebhookSecret)
async def rotate_secret(
    webhook_id: str,
    body: RotateSecretInput,
    lifecycle: Lifecycle,
    uow: Uow,
    once: WriteOnce = Depends(),
) -> dict[str, Any]:
    # the webhook is part of the request: one key used for two webhooks is a CONFLICT
    request = {"webhook_id": webhook_id, **body.model_dump()}
    return await once.run(request, uow, lambda: lifecycle.rotate_secret(webhook_id, body, uow))
