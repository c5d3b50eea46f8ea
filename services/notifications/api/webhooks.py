"""An organization's webhooks: register, read, recent deliveries."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from services.notifications.api.common import get_webhooks
from services.notifications.service import WebhookService
from shared.contracts.notifications import RegisteredWebhook, WebhookDelivery, WebhookView
from shared.contracts.requests import notifications as rq
from shared.idempotency import WriteOnce

router = APIRouter()


@router.post("/webhooks", response_model=RegisteredWebhook)
async def register_webhook(
    body: rq.RegisterWebhook,
    service: WebhookService = Depends(get_webhooks),
    once: WriteOnce = Depends(),
) -> dict[str, Any]:
    return await once(body, lambda answered: service.register(body, answered))


@router.get("/webhooks/{webhook_id}", response_model=WebhookView)
async def get_webhook(
    webhook_id: str, service: WebhookService = Depends(get_webhooks)
) -> dict[str, Any]:
    return await service.webhook(webhook_id)


@router.get("/webhooks/{webhook_id}/deliveries", response_model=list[WebhookDelivery])
async def webhook_deliveries(
    webhook_id: str,
    first: int = Query(20, ge=1, le=100),
    service: WebhookService = Depends(get_webhooks),
) -> list[dict[str, Any]]:
    return await service.deliveries(webhook_id, first)
