"""An organization's webhooks: register, read, recent deliveries."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from services.notifications.api.common import Uow, Webhooks
from services.notifications.service import WebhookInput
from shared.contracts.notifications import RegisteredWebhook, WebhookDelivery, WebhookView
from shared.idempotency import WriteOnce

router = APIRouter()
WebhookBody = WebhookInput


@router.post("/webhooks", response_model=RegisteredWebhook)
async def register_webhook(
    body: WebhookBody, service: Webhooks, uow: Uow, once: WriteOnce = Depends()
) -> dict[str, Any]:
    return await once.run(body, uow, lambda: service.register(body, uow))


@router.get("/webhooks/{webhook_id}", response_model=WebhookView)
async def get_webhook(webhook_id: str, service: Webhooks, uow: Uow) -> dict[str, Any]:
    return await service.webhook(webhook_id, uow)


@router.get("/webhooks/{webhook_id}/deliveries", response_model=list[WebhookDelivery])
async def webhook_deliveries(
    webhook_id: str, service: Webhooks, uow: Uow, first: int = Query(20, ge=1, le=100)
) -> list[dict[str, Any]]:
    return await service.deliveries(webhook_id, first, uow)
