"""Members: an org admin adds a member (or another admin), the token shown once; an org
admin or the operator removes one, and every token of theirs stops working at once."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from services.intake import domain
from services.intake.api.common import get_store
from services.intake.store import IntakeStore
from services.intake.tokens import new_token
from shared.contracts import MemberRef, MemberRemoved
from shared.contracts.text import TextInput
from shared.errors import AppError, ErrorCode, not_found
from shared.idempotency import Idempotency, get_idempotency
from shared.service import Runtime, get_runtime

router = APIRouter()


class MemberBody(TextInput):
    input: domain.MemberInput


def email_taken() -> AppError:
    return AppError(
        ErrorCode.CONFLICT,
        "a member with this email already belongs to the network",
        field="input.email",
    )


@router.post("/organizations/{organization_id}/members")
async def add_member(
    organization_id: str,
    body: MemberBody,
    runtime: Runtime = Depends(get_runtime),
    store: IntakeStore = Depends(get_store),
    idempotency: Idempotency = Depends(get_idempotency),
) -> dict[str, Any]:
    data = body.input

    async def add() -> dict[str, Any]:
        organization = await store.organization(organization_id)
        if organization is None:
            raise not_found("organization", organization_id)
        if organization.get("archived"):
            raise AppError(ErrorCode.CONFLICT, f"organization {organization_id} is archived")
        network_id = organization["network_id"]
        if await store.member_by_email(network_id, data.email) is not None:
            raise email_taken()
        member = domain.new_member(data.name, data.email, domain.Role(data.role.value))
        token = new_token()
        answer = {"member": member.model_dump(mode="json"), "token": token}
        async with runtime.outbox.transaction() as tx:
            await store.add_member(member, network_id, organization_id, token, tx.session)
            await tx.publish(
                "member.joined",
                organization_id,
                domain.contracts.MemberJoined(
                    network_id=network_id, organization_id=organization_id, member=member
                ),
            )
            await idempotency.remember(tx.session, body, answer)
        return answer

    # a concurrent twin with the same email ends as CONFLICT (the unique index)
    return await idempotency.once(body, add)


class RemoveBody(TextInput):
    removed_by: str  # who asks: the gateway has checked they may


@router.post("/organizations/{organization_id}/members/{member_id}/remove")
async def remove_member(
    organization_id: str,
    member_id: str,
    body: RemoveBody,
    runtime: Runtime = Depends(get_runtime),
    store: IntakeStore = Depends(get_store),
    idempotency: Idempotency = Depends(get_idempotency),
) -> dict[str, Any]:
    async def remove() -> dict[str, Any]:
        async with runtime.outbox.transaction() as tx:
            found = await store.member(member_id, tx.session)
            if found is None or found["organization_id"] != organization_id:
                raise not_found("member", member_id)
            domain.check_removable(
                found["role"], await store.admins_in(organization_id, tx.session)
            )
            await store.remove_member(found, tx.session)
            member = MemberRef.model_validate(found)
            await tx.publish(
                "member.removed",
                organization_id,
                MemberRemoved(
                    network_id=found["network_id"],
                    organization_id=organization_id,
                    member=member,
                    removed_by=body.removed_by,
                ),
            )
            answer = {"member": member.model_dump(mode="json")}
            await idempotency.remember(tx.session, body, answer)
        return answer

    return await idempotency.once(body, remove)
