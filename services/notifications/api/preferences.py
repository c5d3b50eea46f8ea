"""A member's notification preferences, and the delivery tick."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Request

from services.notifications.api.common import Inbox, Uow
from services.notifications.domain.preferences import PreferencesPatch
from services.notifications.service import DeliveryWorker
from shared.contracts.notifications import PreferencesView
from shared.contracts.text import TextInput
from shared.errors import bad_input
from shared.mongo import retry_transient

router = APIRouter()


class PreferencesBody(TextInput):
    input: PreferencesPatch


@router.get("/preferences/{member_id}", response_model=PreferencesView)
async def preferences_of(member_id: str, service: Inbox, uow: Uow) -> dict[str, Any]:
    return await service.preferences_of(member_id, uow)


@router.post("/preferences/{member_id}", response_model=PreferencesView)
async def update_preferences(
    member_id: str, body: PreferencesBody, service: Inbox, uow: Uow
) -> dict[str, Any]:
    return await retry_transient(lambda: service.update_preferences(member_id, body.input, uow))


@router.post("/deliveries/tick")
async def tick(request: Request, now: datetime | None = Query(None)) -> dict[str, int]:
    """One pass of the delivery worker at `now` (ISO-8601 with offset; the clock's time by
    default): how tests and operators move held email and digests along without waiting."""
    if now is not None and now.tzinfo is None:
        raise bad_input("now", "give the instant with its UTC offset")
    worker: DeliveryWorker = request.app.state.delivery_worker
    return {"sent": await worker.deliver_due(now)}
