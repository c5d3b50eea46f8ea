"""Community needs: reported by a member or the operator; a report for an (area, focus area)
already known strengthens that need (need.updated) instead of duplicating it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from services.intake.api.common import Service, Uow
from shared.contracts import NeedProfile
from shared.contracts.intake import NeedAnswer
from shared.contracts.page import Edge, EdgePage, Page
from shared.contracts.requests import intake as rq
from shared.idempotency import WriteOnce

router = APIRouter()


@router.post("/needs", response_model=NeedAnswer)
async def report_need(
    body: rq.ReportNeed, service: Service, uow: Uow, once: WriteOnce = Depends()
) -> dict[str, Any]:
    return await once.run(body, uow, lambda: service.report_need(body.input, body.reported_by, uow))


@router.get("/needs", response_model=Page[Edge[NeedProfile]])
async def list_needs(
    network_id: str,
    service: Service,
    uow: Uow,
    focus_area: str | None = None,
    area: str | None = None,
    first: Annotated[int, Query(ge=1, le=100)] = 20,
    after: str | None = None,
) -> EdgePage:
    return await service.needs_page(
        network_id, uow, focus_area=focus_area, area=area, first=first, after=after
    )


@router.get("/needs/{need_id}", response_model=NeedProfile)
async def get_need(need_id: str, service: Service, uow: Uow) -> NeedProfile:
    return await service.need(need_id, uow)
