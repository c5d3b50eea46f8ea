"""Community needs: reported by a member or the operator; a report for an (area, focus area)
already known strengthens that need (need.updated) instead of duplicating it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from services.intake import domain
from services.intake.api.common import EdgePage, again_if_raced, get_service, get_store, page
from services.intake.service import IntakeService
from services.intake.store import IntakeStore
from shared.contracts import NeedProfile
from shared.contracts.intake import NeedAnswer
from shared.contracts.page import Edge, Page
from shared.contracts.text import TextInput
from shared.errors import not_found
from shared.idempotency import WriteOnce
from shared.mongo import Document

router = APIRouter()


class NeedBody(TextInput):
    input: domain.NeedInput
    reported_by: str = ""


def need_json(doc: Document) -> dict[str, Any]:
    return NeedProfile(**doc).model_dump(mode="json")


@router.post("/needs", response_model=NeedAnswer)
async def report_need(
    body: NeedBody,
    service: IntakeService = Depends(get_service),
    once: WriteOnce = Depends(),
) -> dict[str, Any]:
    # a concurrent report of the same need won: read again, and now it strengthens
    return await again_if_raced(
        lambda: once(body, lambda a: service.report_need(body.input, body.reported_by, a))
    )


@router.get("/needs", response_model=Page[Edge[NeedProfile]])
async def list_needs(
    network_id: str,
    store: IntakeStore = Depends(get_store),
    focus_area: str | None = None,
    area: str | None = None,
    first: Annotated[int, Query(ge=1, le=100)] = 20,
    after: str | None = None,
) -> EdgePage:
    docs = await store.needs_page(
        network_id,
        focus_area=domain.need_focus(focus_area) if focus_area else None,
        area_key=domain.area_key(area) if area else None,
        first=first,
        after=after,
    )
    return page(docs, first, need_json)


@router.get("/needs/{need_id}", response_model=NeedProfile)
async def get_need(need_id: str, store: IntakeStore = Depends(get_store)) -> dict[str, Any]:
    found = await store.need(need_id)
    if found is None:
        raise not_found("need", need_id)
    return need_json(found)
