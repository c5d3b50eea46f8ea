"""Community needs: reported by a member or the operator; a report for an (area, focus area)
already known strengthens that need (need.updated) instead of duplicating it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from services.intake import domain
from services.intake.api.common import get_store, page
from services.intake.store import IntakeStore, StaleWrite
from shared.contracts import NeedProfile, NeedReported, NeedUpdated
from shared.contracts.text import TextInput
from shared.errors import not_found
from shared.events import utcnow
from shared.idempotency import ConcurrentWrite, Idempotency, get_idempotency
from shared.mongo import Document
from shared.service import Runtime, get_runtime

router = APIRouter()
ATTEMPTS = 3  # a concurrent report of the same need: read again and merge


class NeedBody(TextInput):
    input: domain.NeedInput
    reported_by: str = ""


def need_doc(need: NeedProfile, **extra: Any) -> Document:
    return {
        "_id": need.need_id,
        **need.model_dump(),
        "area_key": domain.area_key(need.area),
        **extra,
    }


def need_json(doc: Document) -> dict[str, Any]:
    return NeedProfile(**doc).model_dump(mode="json")


@router.post("/needs")
async def report_need(
    body: NeedBody,
    runtime: Runtime = Depends(get_runtime),
    store: IntakeStore = Depends(get_store),
    idempotency: Idempotency = Depends(get_idempotency),
) -> dict[str, Any]:
    data = body.input
    report = domain.report_of(data)

    async def attempt() -> dict[str, Any]:
        if await store.network(data.network_id) is None:
            raise not_found("network", data.network_id)
        area_key, focus = report.key
        existing = await store.need_by_key(data.network_id, area_key, focus)
        async with runtime.outbox.transaction() as tx:
            if existing is None:
                need = domain.new_need(data.network_id, report, utcnow())
                await store.save_needs(
                    [need_doc(need, reported_by=body.reported_by)], [], tx.session
                )
                await tx.publish("need.reported", need.need_id, NeedReported(need=need))
            else:
                need = domain.strengthened(NeedProfile(**existing), report)
                await store.save_needs([], [(need_doc(need), existing["version"])], tx.session)
                await tx.publish("need.updated", need.need_id, NeedUpdated(need=need))
            answer = {"need": need.model_dump(mode="json"), "strengthened": existing is not None}
            await idempotency.remember(tx.session, body, answer)
        return answer

    for _ in range(ATTEMPTS - 1):
        try:
            return await idempotency.once(body, attempt)
        except (StaleWrite, ConcurrentWrite):  # read again: now it strengthens
            continue
    return await idempotency.once(body, attempt)


@router.get("/needs")
async def list_needs(
    network_id: str,
    store: IntakeStore = Depends(get_store),
    focus_area: str | None = None,
    area: str | None = None,
    first: Annotated[int, Query(ge=1, le=100)] = 20,
    after: str | None = None,
) -> dict[str, Any]:
    docs = await store.needs_page(
        network_id,
        focus_area=domain.need_focus(focus_area) if focus_area else None,
        area_key=domain.area_key(area) if area else None,
        first=first,
        after=after,
    )
    return page(docs, first, need_json)


@router.get("/needs/{need_id}")
async def get_need(need_id: str, store: IntakeStore = Depends(get_store)) -> dict[str, Any]:
    found = await store.need(need_id)
    if found is None:
        raise not_found("need", need_id)
    return need_json(found)
