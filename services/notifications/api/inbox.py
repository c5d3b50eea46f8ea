"""A member's inbox: list, mark read, count unread."""

from __future__ import annotations

from fastapi import APIRouter, Query
from pydantic import Field

from services.notifications.api.common import Inbox, Uow
from shared.contracts.notifications import NotificationView
from shared.contracts.page import DocPage, Page
from shared.contracts.text import TextInput
from shared.mongo import retry_transient

router = APIRouter()


@router.get("/inbox/{member_id}", response_model=Page[NotificationView])
async def inbox(
    member_id: str,
    service: Inbox,
    uow: Uow,
    unread_only: bool = False,
    first: int = Query(20, ge=1, le=100),
    after: str | None = None,
) -> DocPage:
    return await service.inbox(member_id, unread_only, first, after, uow)


class ReadBody(TextInput):
    ids: list[str] = Field(max_length=500)


@router.post("/inbox/{member_id}/read")
async def mark_read(member_id: str, body: ReadBody, service: Inbox, uow: Uow) -> int:
    return await retry_transient(lambda: service.mark_read(member_id, body.ids, uow))


@router.get("/inbox/{member_id}/unread-count")
async def unread_count(member_id: str, service: Inbox, uow: Uow) -> int:
    return await service.unread_count(member_id, uow)
