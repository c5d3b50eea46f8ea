"""Networks and tokens: creating a network (CLI), resolving a bearer token (gateway),
reading a network, rotating its join code (operator)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from services.intake import domain
from services.intake.api.common import get_service, get_store
from services.intake.service import IntakeService
from services.intake.service.networks import network_view
from services.intake.store import IntakeStore
from services.intake.tokens import token_hash
from shared.contracts.intake import CreatedNetwork, NetworkView, TokenHolder
from shared.contracts.text import TextInput
from shared.errors import AppError, ErrorCode, not_found
from shared.events import utcnow
from shared.idempotency import WriteOnce
from shared.mongo import Document

router = APIRouter()


def expired(token: Document) -> bool:
    """A session token (from a sign-in link) past its end; API tokens do not expire."""
    ends = token.get("expires_at")
    return ends is not None and ends <= utcnow()


class TokenBody(TextInput):
    token: str


@router.post("/networks", response_model=CreatedNetwork)
async def create_network(
    body: domain.NetworkInput, service: IntakeService = Depends(get_service)
) -> dict[str, Any]:
    return await service.create_network(body)


@router.post("/auth/resolve", response_model=TokenHolder)
async def resolve_token(body: TokenBody, store: IntakeStore = Depends(get_store)) -> dict[str, Any]:
    found = await store.token(token_hash(body.token))
    if found is None or expired(found):
        raise AppError(ErrorCode.UNAUTHENTICATED, "unknown or revoked token")
    return {
        "memberId": found["member_id"],
        "networkId": found["network_id"],
        "organizationId": found.get("organization_id"),
        "role": found["role"],
    }


@router.get("/networks/{network_id}", response_model=NetworkView)
async def get_network(network_id: str, store: IntakeStore = Depends(get_store)) -> dict[str, Any]:
    found = await store.network(network_id)
    if found is None:
        raise not_found("network", network_id)
    return network_view(found)


@router.post("/networks/{network_id}/join-code", response_model=NetworkView)
async def rotate_join_code(
    network_id: str,
    service: IntakeService = Depends(get_service),
    once: WriteOnce = Depends(),
) -> dict[str, Any]:
    """A new join code; the old one stops working at once. Answers the network as GET does.
    The gateway checks the operator."""
    request = {"network_id": network_id}
    return await once(request, lambda a: service.rotate_join_code(network_id, a))
