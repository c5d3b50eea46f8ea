"""Matching's internal HTTP routes, called by the gateway: thin over the matcher."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from services.matching.domain import matches as docs
from services.matching.service import Matcher
from shared.contracts import NeedProfile
from shared.contracts.matching import (
    Coalitions,
    MatchDecision,
    MatchView,
)
from shared.contracts.page import Batch
from shared.contracts.text import TextInput
from shared.errors import not_found
from shared.http import batch_ids
from shared.idempotency import WriteOnce
from shared.mongo import Document

router = APIRouter()
PageSize = Annotated[int, Query(ge=1, le=100)]


def get_matcher(request: Request) -> Matcher:
    matcher: Matcher = request.app.state.matcher
    return matcher


class ResponseBody(TextInput):
    model_config = ConfigDict(extra="forbid")
    organization_id: str = Field(min_length=1, max_length=100)
    decision: MatchDecision
    reason: str = Field("", max_length=2000)


@router.get("/profiles/{organization_id}")
async def get_profile(organization_id: str, matcher: Matcher = Depends(get_matcher)) -> Any:
    found = await matcher.store.profile(organization_id)
    if found is None:
        raise not_found("organization", organization_id)
    return found


@router.get("/matches/by-organization")
async def matches_of_many(
    ids: Annotated[str, Query(min_length=1, max_length=10_000)],
    first: PageSize = 20,
    matcher: Matcher = Depends(get_matcher),
) -> Batch[list[MatchView]]:
    """The batch form the gateway's DataLoader uses: `{"items": {organization_id: [...]}}`."""
    wanted = batch_ids(ids)
    found = await matcher.store.matches_of_many(wanted, first)
    return Batch(items={org: [match_view(m) for m in ms] for org, ms in found.items()})


@router.get("/organizations/{organization_id}/matches")
async def matches_of(
    organization_id: str, first: PageSize = 10, matcher: Matcher = Depends(get_matcher)
) -> list[MatchView]:
    return [match_view(m) for m in await matcher.store.matches_of(organization_id, first)]


@router.get("/matches/{match_id}")
async def get_match(match_id: str, matcher: Matcher = Depends(get_matcher)) -> MatchView:
    return match_view(await matcher.match(match_id))


@router.post("/matches/{match_id}/responses", response_model=MatchView)
async def respond(
    match_id: str,
    body: ResponseBody,
    matcher: Matcher = Depends(get_matcher),
    once: WriteOnce = Depends(),
) -> dict[str, Any]:
    return await once(
        body,
        lambda answered: matcher.respond(
            match_id, body.organization_id, body.decision, body.reason, answered
        ),
    )


class IntroductionBody(TextInput):
    model_config = ConfigDict(extra="forbid")
    network_id: str = Field(min_length=1, max_length=100)
    organization_ids: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        max_length=10
    )
    note: str = Field(min_length=1, max_length=2000)
    introduced_by: str = Field(min_length=1, max_length=200)
    # The organizations' names as the gateway read them in intake: matching may not have
    # heard of a registration yet.
    names: dict[str, str] = {}


@router.post("/introductions", response_model=MatchView)
async def introduce(
    body: IntroductionBody, matcher: Matcher = Depends(get_matcher), once: WriteOnce = Depends()
) -> dict[str, Any]:
    return await once(
        body,
        lambda answered: matcher.introduce(
            body.network_id,
            body.organization_ids,
            body.note,
            body.introduced_by,
            body.names,
            answered,
        ),
    )


class CoalitionsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    need: NeedProfile
    first: int = Field(3, ge=1, le=10)


@router.post("/coalitions")
async def coalitions_for(
    body: CoalitionsBody, matcher: Matcher = Depends(get_matcher)
) -> Coalitions:
    """A read (POST for its body): coalitions for a need's profile as the gateway holds it."""
    found = await matcher.coalitions_for(body.need, body.first)
    return Coalitions(need_id=body.need.need_id, coalitions=found)


@router.get("/needs/{need_id}/coalitions")
async def coalitions(
    need_id: str,
    first: Annotated[int, Query(ge=1, le=10)] = 3,
    matcher: Matcher = Depends(get_matcher),
) -> Coalitions:
    need, found = await matcher.coalitions(need_id, first)
    return Coalitions(need_id=need_id, network_id=need["network_id"], coalitions=found)


def match_view(match: Document) -> MatchView:
    return MatchView.model_validate(docs.view(match))
