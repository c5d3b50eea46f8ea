"""Matching's internal HTTP routes, called by the gateway (`shared.clients.MatchingClient`):
thin over the matcher. The request models are the contract's
(`shared.contracts.requests.matching`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from services.matching.domain import matches as docs
from services.matching.service import Matcher
from services.matching.store import MongoMatchingUnitOfWork
from shared.contracts.matching import Coalitions, MatchView
from shared.contracts.page import Batch
from shared.contracts.requests import matching as rq
from shared.http import batch_ids
from shared.idempotency import WriteOnce
from shared.mongo import Document

router = APIRouter()
PageSize = Annotated[int, Query(ge=1, le=100)]


def get_matcher(request: Request) -> Matcher:
    matcher: Matcher = request.app.state.matcher
    return matcher


def get_uow(request: Request) -> MongoMatchingUnitOfWork:
    uow: MongoMatchingUnitOfWork = request.app.state.unit_of_work()
    return uow


Use = Annotated[Matcher, Depends(get_matcher)]
Uow = Annotated[MongoMatchingUnitOfWork, Depends(get_uow)]


@router.get("/profiles/{organization_id}")
async def get_profile(organization_id: str, matcher: Use, uow: Uow) -> Any:
    return await matcher.profile(organization_id, uow)


@router.get("/matches/by-organization")
async def matches_of_many(
    ids: Annotated[str, Query(min_length=1, max_length=10_000)],
    matcher: Use,
    uow: Uow,
    first: PageSize = 20,
) -> Batch[list[MatchView]]:
    """The batch form the gateway's DataLoader uses: `{"items": {organization_id: [...]}}`."""
    found = await matcher.matches_of_many(batch_ids(ids), first, uow)
    return Batch(items={org: [match_view(m) for m in ms] for org, ms in found.items()})


@router.get("/organizations/{organization_id}/matches")
async def matches_of(
    organization_id: str, matcher: Use, uow: Uow, first: PageSize = 10
) -> list[MatchView]:
    return [match_view(m) for m in await matcher.matches_of(organization_id, first, uow)]


@router.get("/matches/{match_id}")
async def get_match(match_id: str, matcher: Use, uow: Uow) -> MatchView:
    return match_view(await matcher.match(match_id, uow))


@router.post("/matches/{match_id}/responses", response_model=MatchView)
async def respond(
    match_id: str,
    body: rq.RespondToMatch,
    matcher: Use,
    uow: Uow,
    once: WriteOnce = Depends(),
) -> dict[str, Any]:
    return await once.run(
        body,
        uow,
        lambda: matcher.respond(match_id, body.organization_id, body.decision, body.reason, uow),
    )


@router.post("/introductions", response_model=MatchView)
async def introduce(
    body: rq.Introduce, matcher: Use, uow: Uow, once: WriteOnce = Depends()
) -> dict[str, Any]:
    return await once.run(
        body,
        uow,
        lambda: matcher.introduce(
            body.network_id, body.organization_ids, body.note, body.introduced_by, body.names, uow
        ),
    )


@router.post("/coalitions")
async def coalitions_for(
    body: rq.CoalitionsFor, matcher: Matcher = Depends(get_matcher)
) -> Coalitions:
    """A read (POST for its body): coalitions for a need's profile as the gateway holds it."""
    found = await matcher.coalitions_for(body.need, body.first)
    return Coalitions(need_id=body.need.need_id, coalitions=found)


@router.get("/needs/{need_id}/coalitions")
async def coalitions(
    need_id: str,
    matcher: Use,
    uow: Uow,
    first: Annotated[int, Query(ge=1, le=10)] = 3,
) -> Coalitions:
    need, found = await matcher.coalitions(need_id, first, uow)
    return Coalitions(need_id=need_id, network_id=need["network_id"], coalitions=found)


def match_view(match: Document) -> MatchView:
    return MatchView.model_validate(docs.view(match))
