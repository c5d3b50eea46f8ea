"""Notifications' internal HTTP routes: the inbox."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from services.notifications.handlers import NOTIFIED_KINDS
from services.notifications.store import NotificationStore
from services.notifications.webhooks import check_url, new_secret
from shared.contracts.text import TextInput
from shared.errors import bad_input, not_found
from shared.events import new_id, utcnow
from shared.idempotency import Answer, Idempotency, get_idempotency
from shared.service import Runtime, get_runtime

router = APIRouter()


def get_store(runtime: Runtime = Depends(get_runtime)) -> NotificationStore:
    return NotificationStore(runtime.db)


@router.get("/inbox/{member_id}")
async def inbox(
    member_id: str,
    unread_only: bool = False,
    first: int = Query(20, ge=1, le=100),
    after: str | None = None,
    store: NotificationStore = Depends(get_store),
) -> dict[str, Any]:
    items = await store.list_inbox(member_id, unread_only, first + 1, after)
    return {
        "items": [_public(item) for item in items[:first]],
        "hasNextPage": len(items) > first,
    }


class ReadBody(TextInput):
    ids: list[str] = Field(max_length=500)


@router.post("/inbox/{member_id}/read")
async def mark_read(
    member_id: str, body: ReadBody, store: NotificationStore = Depends(get_store)
) -> int:
    return await store.mark_read(member_id, body.ids)


@router.get("/inbox/{member_id}/unread-count")
async def unread_count(member_id: str, store: NotificationStore = Depends(get_store)) -> int:
    return await store.unread_count(member_id)


def _public(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": item["_id"],
        "kind": item["kind"],
        "title": item["title"],
        "body": item["body"],
        "subjectId": item["subject_id"],
        "read": item["read"],
        "createdAt": item["created_at"].isoformat(),
    }


class WebhookBody(TextInput):
    network_id: str
    organization_id: str | None = None
    url: str = Field(max_length=2000)
    event_types: list[str] = Field(default=[], max_length=50)


@router.post("/webhooks")
async def register_webhook(
    body: WebhookBody,
    runtime: Runtime = Depends(get_runtime),
    store: NotificationStore = Depends(get_store),
    idempotency: Idempotency = Depends(get_idempotency),
) -> dict[str, Any]:
    """The secret is in this answer only (and, encrypted, in an Idempotency-Key's answer).
    The write is right here, so it calls `remember` itself rather than through WriteOnce."""
    await check_url(body.url, allow_loopback=runtime.settings.webhook_allow_loopback)
    unknown = [kind for kind in body.event_types if kind not in NOTIFIED_KINDS]
    if unknown:
        raise bad_input("input.eventTypes", f"unknown event types: {', '.join(unknown)}")

    async def register() -> Answer:
        webhook = {
            "_id": new_id("whk"),
            **body.model_dump(),
            "secret": new_secret(),
            "failures": 0,
            "disabled": False,
            "created_at": utcnow(),
        }
        answer = {**_public_webhook(webhook), "secret": webhook["secret"]}
        async with runtime.outbox.transaction() as tx:
            await store.webhooks.insert_one(webhook, session=tx.session)
            await idempotency.remember(tx.session, body, answer)
        return answer

    return await idempotency.once(body, register)


@router.get("/webhooks/{webhook_id}")
async def get_webhook(
    webhook_id: str, store: NotificationStore = Depends(get_store)
) -> dict[str, Any]:
    webhook = await store.webhook(webhook_id)
    if webhook is None:
        raise not_found("webhook", webhook_id)
    return _public_webhook(webhook)


@router.get("/webhooks/{webhook_id}/deliveries")
async def webhook_deliveries(
    webhook_id: str,
    first: int = Query(20, ge=1, le=100),
    store: NotificationStore = Depends(get_store),
) -> list[dict[str, Any]]:
    return [
        {
            "at": e["at"].isoformat(),
            "statusCode": e["status_code"],
            "error": e["error"],
            "ok": e["ok"],
        }
        for e in await store.webhook_deliveries(webhook_id, first)
    ]


def _public_webhook(webhook: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": webhook["_id"],
        "networkId": webhook["network_id"],
        "organizationId": webhook["organization_id"],
        "url": webhook["url"],
        "eventTypes": webhook["event_types"],
        "disabled": webhook["disabled"],
        "failures": webhook["failures"],
    }
