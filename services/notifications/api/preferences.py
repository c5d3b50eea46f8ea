"""A member's notification preferences, and the delivery tick."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from services.notifications.api.common import get_inbox
from services.notifications.deliveries import DeliveryWorker
from services.notifications.service import InboxService
from shared.contracts.notifications import PreferencesView
from shared.contracts.requests import notifications as rq
from shared.errors import bad_input

router = APIRouter()


@router.get("/preferences/{member_id}", response_model=PreferencesView)
async def preferences_of(
    member_id: str, service: InboxService = Depends(get_inbox)
) -> dict[str, Any]:
    return await service.preferences_of(member_id)


@router.post("/preferences/{member_id}", response_model=PreferencesView)
async def update_preferences(
    member_id: str, body: rq.UpdatePreferences, service: InboxService = Depends(get_inbox)
) -> dict[str, Any]:
    return await service.update_preferences(member_id, body.input)


@router.post("/deliveries/tick")
async def tick(request: Request, now: datetime | None = Query(None)) -> dict[str, int]:
    """One pass of the delivery worker at `now` (ISO-8601 with offset; the clock's time by
    default): how tests and operators move held email and digests along without waiting."""
    if now is not None and now.tzinfo is None:
        raise bad_input("now", "give the instant with its UTC offset")
    worker: DeliveryWorker = request.app.state.delivery_worker
    return {"sent": await worker.deliver_due(now)}
