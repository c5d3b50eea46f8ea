"""Matching's use cases against a real document store, without the stack: complementary
profiles are suggested to each other once; both accepting announces match.accepted with what
each offers; an archived organization's open suggestions are withdrawn."""

from __future__ import annotations

import pytest
from pymongo import AsyncMongoClient

from services.matching.service import Matcher
from services.matching.store import INDEXES, MatchingStore
from shared.contracts import OrganizationProfile, Resource
from shared.contracts.matching import MatchDecision
from shared.errors import AppError, ErrorCode
from shared.mongo import Database, Document, ensure_indexes
from shared.outbox import Outbox
from shared.settings import Settings
from tests.support.documents import outbox_events


@pytest.fixture
async def matcher(mongo: AsyncMongoClient[Document], database: Database) -> Matcher:
    await ensure_indexes(database, INDEXES)
    outbox = Outbox(mongo, database, source="commonweave/matching")
    found = Matcher(MatchingStore(database), outbox, Settings(_env_file=None))  # type: ignore[call-arg]
    await found.load()
    return found


def profile(org: str, name: str, offers: str, needs: str, version: int = 1) -> OrganizationProfile:
    return OrganizationProfile(
        organization_id=org,
        network_id="net_1",
        version=version,
        name=name,
        mission="Community health outreach and grants for families",
        focus_areas=["community_health"],
        offers=[Resource(kind=offers)],
        needs=[Resource(kind=needs)],
    )


async def take_in(matcher: Matcher, *profiles: OrganizationProfile) -> None:
    for p in profiles:
        async with matcher.outbox.transaction() as tx:
            await matcher.on_profile(p, tx)


OUTREACH = profile("org_a", "Neighbors United", "outreach", "funding")
FUNDER = profile("org_b", "Lane Foundation", "funding", "outreach")


async def test_complementary_organizations_are_suggested_once_and_accepted_by_both(
    matcher: Matcher, database: Database
) -> None:
    await take_in(matcher, OUTREACH, FUNDER, OUTREACH.model_copy(update={"version": 2}))
    [suggested] = await outbox_events(database)
    assert suggested.type == "match.suggested"
    match_id = suggested.subject
    with pytest.raises(AppError) as stranger:
        await matcher.respond(match_id, "org_x", MatchDecision.ACCEPT, "")
    assert stranger.value.code is ErrorCode.FORBIDDEN
    first = await matcher.respond(match_id, "org_a", MatchDecision.ACCEPT, "ok")
    both = await matcher.respond(match_id, "org_b", MatchDecision.ACCEPT, "ok")
    assert (first["status"], both["status"]) == ("SUGGESTED", "ACCEPTED")
    accepted = (await outbox_events(database))[-1]
    assert accepted.type == "match.accepted"
    assert accepted.data["offers"] == {"org_a": ["outreach"], "org_b": ["funding"]}


async def test_archiving_withdraws_the_open_suggestions(
    matcher: Matcher, database: Database
) -> None:
    await take_in(matcher, OUTREACH, FUNDER)
    match_id = (await outbox_events(database))[0].subject
    await take_in(matcher, FUNDER.model_copy(update={"version": 2, "archived": True}))
    with pytest.raises(AppError) as gone:
        await matcher.match(match_id)
    assert gone.value.code is ErrorCode.NOT_FOUND
