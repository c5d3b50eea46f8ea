"""Commitments' internal routes for the updates log and the community's voice, called by the
gateway: thin over the use cases (services/commitments/service/voice.py), bodies wrapped as
`{"input": ...}` like every other route (api.py), writes under the caller's Idempotency-Key."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from services.commitments.api import Body, Uow, Use
from services.commitments.domain import models as m
from shared import contracts as c
from shared.idempotency import WriteOnce

voice_router = APIRouter()


class UpdateBody(Body[m.UpdateInput]):
    member_id: str


class NeedResponseBody(Body[m.CommunityResponseInput]):
    network_id: str  # the need's network, as intake knows it (the gateway read it)


@voice_router.post("/partnerships/{partnership_id}/updates", response_model=c.PartnershipUpdateView)
async def post_update(
    partnership_id: str, body: UpdateBody, tracker: Use, uow: Uow, once: WriteOnce = Depends()
) -> Any:
    return await once.run(
        body, uow, lambda: tracker.post_update(partnership_id, body.input, body.member_id, uow)
    )


@voice_router.post(
    "/partnerships/{partnership_id}/community-responses", response_model=c.CommunityReceipt
)
async def respond_to_partnership(
    partnership_id: str,
    body: Body[m.CommunityResponseInput],
    tracker: Use,
    uow: Uow,
    once: WriteOnce = Depends(),
) -> Any:
    return await once.run(
        body, uow, lambda: tracker.respond_to_partnership(partnership_id, body.input, uow)
    )


@voice_router.post("/needs/{need_id}/community-responses", response_model=c.CommunityReceipt)
async def respond_to_need(
    need_id: str, body: NeedResponseBody, tracker: Use, uow: Uow, once: WriteOnce = Depends()
) -> Any:
    return await once.run(
        body, uow, lambda: tracker.respond_to_need(need_id, body.network_id, body.input, uow)
    )
