"""Networks and tokens: creating a network (CLI), resolving a bearer token (gateway),
reading a network, rotating its join code (operator)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from services.intake import domain
from services.intake.api.common import get_store
from services.intake.store import IntakeStore
from services.intake.tokens import new_join_code, new_token, token_hash
from shared.contracts import operator_member_id
from shared.contracts.text import TextInput
from shared.errors import AppError, ErrorCode, not_found
from shared.events import new_id, utcnow
from shared.idempotency import Idempotency, get_idempotency
from shared.mongo import retry_transient
from shared.service import Runtime, get_runtime

router = APIRouter()


class TokenBody(TextInput):
    token: str


@router.post("/networks")
async def create_network(
    body: domain.NetworkInput,
    runtime: Runtime = Depends(get_runtime),
    store: IntakeStore = Depends(get_store),
) -> dict[str, Any]:
    network_id, token, join_code = new_id("net"), new_token("op"), new_join_code()

    async def create() -> None:
        async with runtime.outbox.transaction() as tx:
            await store.networks.insert_one(
                {
                    "_id": network_id,
                    **body.model_dump(),
                    "join_code": join_code,
                    "created_at": utcnow(),
                },
                session=tx.session,
            )
            operator = operator_member_id(network_id)
            await store.add_token(
                token, domain.Role.OPERATOR, network_id, operator, None, tx.session
            )

    await retry_transient(create)
    return {"networkId": network_id, "operatorToken": token, "joinCode": join_code}


@router.post("/auth/resolve")
async def resolve_token(body: TokenBody, store: IntakeStore = Depends(get_store)) -> dict[str, Any]:
    found = await store.token(token_hash(body.token))
    if found is None:
        raise AppError(ErrorCode.UNAUTHENTICATED, "unknown or revoked token")
    return {
        "memberId": found["member_id"],
        "networkId": found["network_id"],
        "organizationId": found.get("organization_id"),
        "role": found["role"],
    }


@router.get("/networks/{network_id}")
async def get_network(network_id: str, store: IntakeStore = Depends(get_store)) -> dict[str, Any]:
    found = await store.network(network_id)
    if found is None:
        raise not_found("network", network_id)
    return network_view(found)


def network_view(found: dict[str, Any]) -> dict[str, Any]:
    return {
        "networkId": found["_id"],
        "name": found["name"],
        "region": found["region"],
        "timeZone": found["time_zone"],
        "joinCode": found["join_code"],
    }


@router.post("/networks/{network_id}/join-code")
async def rotate_join_code(
    network_id: str,
    runtime: Runtime = Depends(get_runtime),
    store: IntakeStore = Depends(get_store),
    idempotency: Idempotency = Depends(get_idempotency),
) -> dict[str, Any]:
    """A new join code; the old one stops working at once. Answers the network as GET does.
    The gateway checks the operator."""
    request = {"network_id": network_id}

    async def rotate() -> dict[str, Any]:
        found = await store.network(network_id)
        if found is None:
            raise not_found("network", network_id)
        answer = network_view({**found, "join_code": new_join_code()})
        async with runtime.outbox.transaction() as tx:
            await store.networks.update_one(
                {"_id": network_id}, {"$set": {"join_code": answer["joinCode"]}}, session=tx.session
            )
            await idempotency.remember(tx.session, request, answer)
        return answer

    return await idempotency.once(request, rotate)
