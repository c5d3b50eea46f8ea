"""Notifications' internal HTTP routes: the inbox."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from services.notifications.store import NotificationStore
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


class ReadBody(BaseModel):
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
