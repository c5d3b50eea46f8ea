"""Links between networks: network A's operator proposes one to network B, B's operator
accepts or declines, either ends it; each network's operator lists its links. The gateway has
checked the caller is the operator of the network it acts for; the domain checks which of the
link's two networks may take which step."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends

from services.intake.api.common import Service, Uow
from shared.contracts import NetworkLinkView
from shared.contracts.page import Page
from shared.contracts.requests import intake as rq
from shared.idempotency import WriteOnce

router = APIRouter()


@router.post("/networks/{network_id}/links", response_model=NetworkLinkView)
async def propose_network_link(
    network_id: str,
    body: rq.ProposeNetworkLink,
    service: Service,
    uow: Uow,
    once: WriteOnce = Depends(),
) -> object:
    return await once.run(
        body,
        uow,
        lambda: service.propose_network_link(network_id, body.other_network_id, body.note, uow),
    )


@router.post("/network-links/{link_id}/{step}", response_model=NetworkLinkView)
async def change_network_link(
    link_id: str,
    step: Literal["accept", "decline", "end"],
    body: rq.NetworkLinkStep,
    service: Service,
    uow: Uow,
    once: WriteOnce = Depends(),
) -> object:
    return await once.run(
        body, uow, lambda: service.change_network_link(link_id, body.network_id, step, uow)
    )


@router.get("/networks/{network_id}/links")
async def network_links(network_id: str, service: Service, uow: Uow) -> Page[NetworkLinkView]:
    links = await service.network_links(network_id, uow)
    return Page.of(links, len(links))


@router.get("/network-links/{link_id}")
async def network_link(
    link_id: str, network_id: str, service: Service, uow: Uow
) -> NetworkLinkView:
    """The link as `network_id` sees it; NOT_FOUND unless it is one of the link's two."""
    return await service.network_link(link_id, network_id, uow)
