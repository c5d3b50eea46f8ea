"""A member's inbox: list, mark read, count unread."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from services.notifications.api.common import get_inbox
from services.notifications.service import InboxService
from shared.contracts.notifications import NotificationView
from shared.contracts.page import DocPage, Page
from shared.contracts.requests import notifications as rq

router = APIRouter()


@router.get("/inbox/{member_id}", response_model=Page[NotificationView])
async def inbox(
    member_id: str,
    unread_only: bool = False,
    first: int = Query(20, ge=1, le=100),
    after: str | None = None,
    service: InboxService = Depends(get_inbox),
) -> DocPage:
    return await service.inbox(member_id, unread_only, first, after)


@router.post("/inbox/{member_id}/read")
async def mark_read(
    member_id: str, body: rq.MarkRead, service: InboxService = Depends(get_inbox)
) -> int:
    return await service.mark_read(member_id, body.ids)


@router.get("/inbox/{member_id}/unread-count")
async def unread_count(member_id: str, service: InboxService = Depends(get_inbox)) -> int:
    return await service.unread_count(member_id)
