"""Internal HTTP routes of members' notification preferences, and the delivery tick."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from services.notifications.deliveries import DeliveryWorker
from services.notifications.handlers import NOTIFIED_KINDS
from services.notifications.preference_store import PreferenceStore
from services.notifications.preferences import Preferences, PreferencesPatch
from shared.contracts.text import TextInput
from shared.errors import bad_input
from shared.service import Runtime, get_runtime

router = APIRouter()


def get_preferences(runtime: Runtime = Depends(get_runtime)) -> PreferenceStore:
    return PreferenceStore(runtime.db)


class PreferencesBody(TextInput):
    input: PreferencesPatch


@router.get("/preferences/{member_id}")
async def preferences_of(
    member_id: str,
    runtime: Runtime = Depends(get_runtime),
    store: PreferenceStore = Depends(get_preferences),
) -> dict[str, Any]:
    return _public(await store.get(member_id), runtime.settings.digest_hour)


@router.post("/preferences/{member_id}")
async def update_preferences(
    member_id: str,
    body: PreferencesBody,
    runtime: Runtime = Depends(get_runtime),
    store: PreferenceStore = Depends(get_preferences),
) -> dict[str, Any]:
    unknown = body.input.unknown_kind(set(NOTIFIED_KINDS))
    if unknown is not None:
        index, kind = unknown
        raise bad_input(f"input.channels[{index}].kind", f"unknown event kind {kind!r}")
    updated = body.input.apply(await store.get(member_id))
    await store.save(member_id, updated)
    return _public(updated, runtime.settings.digest_hour)


def _public(p: Preferences, default_digest_hour: int) -> dict[str, Any]:
    quiet = p.quiet_hours
    return {
        "channels": [{"kind": e.kind, "channels": e.channels} for e in p.channels],
        "defaultChannels": p.default_channels,
        "quietHours": {"start": quiet.start, "end": quiet.end} if quiet else None,
        "timeZone": p.time_zone,
        "digest": p.digest,
        "digestHour": default_digest_hour if p.digest_hour is None else p.digest_hour,
    }


@router.post("/deliveries/tick")
async def tick(request: Request, now: datetime | None = Query(None)) -> dict[str, int]:
    """One pass of the delivery worker at `now` (ISO-8601 with offset; the clock's time by
    default): how tests and operators move held email and digests along without waiting."""
    if now is not None and now.tzinfo is None:
        raise bad_input("now", "give the instant with its UTC offset")
    worker: DeliveryWorker = request.app.state.delivery_worker
    return {"sent": await worker.deliver_due(now)}
