"""Networks and tokens: creating a network (CLI), resolving a bearer token (gateway),
reading a network, rotating its join code (operator)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from services.intake.api.common import Service, Uow
from shared.contracts.intake import CreatedNetwork, NetworkView, TokenHolder
from shared.contracts.requests import intake as rq
from shared.idempotency import WriteOnce
from shared.mongo import retry_transient

router = APIRouter()


@router.post("/networks", response_model=CreatedNetwork)
async def create_network(body: rq.NetworkInput, service: Service, uow: Uow) -> CreatedNetwork:
    return await retry_transient(lambda: service.create_network(body, uow))


@router.post("/auth/resolve", response_model=TokenHolder)
async def resolve_token(body: rq.ResolveToken, service: Service, uow: Uow) -> TokenHolder:
    return await service.token_holder(body.token, uow)


@router.get("/networks/{network_id}", response_model=NetworkView)
async def get_network(network_id: str, service: Service, uow: Uow) -> NetworkView:
    return await service.network(network_id, uow)


@router.post("/networks/{network_id}/join-code", response_model=NetworkView)
async def rotate_join_code(
    network_id: str, service: Service, uow: Uow, once: WriteOnce = Depends()
) -> dict[str, Any]:
    """A new join code; the old one stops working at once. Answers the network as GET does.
    The gateway checks the operator."""
    request = {"network_id": network_id}
    return await once.run(request, uow, lambda: service.rotate_join_code(network_id, uow))
