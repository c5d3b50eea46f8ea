"""Members: an org admin adds a member (or another admin), the token shown once; an org
admin or the operator removes one, and every token of theirs stops working at once."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from services.intake import domain
from services.intake.api.common import Service, Uow
from shared.contracts.intake import AddedMember, MemberAnswer, MemberRef
from shared.contracts.page import Page
from shared.contracts.text import TextInput
from shared.idempotency import WriteOnce

router = APIRouter()


class MemberBody(TextInput):
    input: domain.MemberInput


@router.post("/organizations/{organization_id}/members", response_model=AddedMember)
async def add_member(
    organization_id: str,
    body: MemberBody,
    service: Service,
    uow: Uow,
    once: WriteOnce = Depends(),
) -> dict[str, Any]:
    return await once.run(body, uow, lambda: service.add_member(organization_id, body.input, uow))


@router.get("/organizations/{organization_id}/members", response_model=Page[MemberRef])
async def members(organization_id: str, service: Service, uow: Uow) -> Page[MemberRef]:
    return Page(items=await service.members(organization_id, uow), has_next_page=False)


class RemoveBody(TextInput):
    removed_by: str  # who asks: the gateway has checked they may


@router.post(
    "/organizations/{organization_id}/members/{member_id}/remove", response_model=MemberAnswer
)
async def remove_member(
    organization_id: str,
    member_id: str,
    body: RemoveBody,
    service: Service,
    uow: Uow,
    once: WriteOnce = Depends(),
) -> dict[str, Any]:
    return await once.run(
        body,
        uow,
        lambda: service.remove_member(organization_id, member_id, body.removed_by, uow),
    )
