"""Matching's repositories and unit of work against a real document store: the read model
keeps the newest version, suggestions are stored and announced in the event's transaction,
a pair is suggested once (a unique index), and the queries the fake imitates (best first,
withdrawing across a link) answer the same. The use cases are tested over the fake
(tests/unit/matching/test_usecases.py, tests/unit/matching/test_links.py)."""

from __future__ import annotations

import pytest
from pymongo import AsyncMongoClient
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.matching.service import Matcher
from services.matching.store import INDEXES, MongoMatchingUnitOfWork
from shared.clock import Clock
from shared.contracts import OrganizationProfile, Resource
from shared.mongo import Database, Document, ensure_indexes
from shared.outbox import Outbox
from shared.settings import Settings
from tests.support.documents import outbox_events


def profile(org: str, offers: str, needs: str, version: int = 1) -> OrganizationProfile:
    return OrganizationProfile(
        organization_id=org,
        network_id="net_1",
        version=version,
        name=org,
        mission="Community health outreach and grants for families",
        focus_areas=["community_health"],
        offers=[Resource(kind=offers)],
        needs=[Resource(kind=needs)],
    )


@pytest.fixture
async def outbox(mongo: AsyncMongoClient[Document], database: Database) -> Outbox:
    await ensure_indexes(database, INDEXES)
    return Outbox(mongo, database, source="commonweave/matching")


async def test_profiles_in_their_events_units_of_work_suggest_a_pair_once(
    outbox: Outbox, database: Database
) -> None:
    matcher = Matcher(Settings(_env_file=None), Clock())
    await matcher.load(MongoMatchingUnitOfWork(outbox))
    profiles = [profile("org_a", "outreach", "funding"), profile("org_b", "funding", "outreach")]
    for p in [*profiles, profiles[0]]:  # the first again: an older version changes nothing
        uow = MongoMatchingUnitOfWork(outbox)
        async with uow:
            await matcher.on_profile(p, uow)
    [suggested] = await outbox_events(database)
    assert (suggested.type, suggested.subject) == ("matches.suggested", "org_b")
    uow = MongoMatchingUnitOfWork(outbox)
    [match] = await matcher.matches_of("org_a", 10, uow)
    assert match["_id"] == suggested.data["suggestions"][0]["match_id"]
    scores = await uow.matches.open_scores(["org_a", "org_c"], besides=[])
    assert scores == {"org_a": [match["score"]], "org_c": []}
    assert await uow.matches.open_scores(["org_a"], besides=[match["_id"]]) == {"org_a": []}
    with pytest.raises((BulkWriteError, DuplicateKeyError)):  # the pair key is unique
        async with uow:
            await uow.matches.add([{**match, "_id": "mat_twin"}])
    assert [m["_id"] for m in (await uow.matches.of_many(["org_b"], 5))["org_b"]] == [match["_id"]]


async def test_ending_a_link_withdraws_only_the_unanswered_suggestions_across_it(
    outbox: Outbox,
) -> None:
    uow = MongoMatchingUnitOfWork(outbox)
    across = {"network_ids": ["net_a", "net_b"], "organization_ids": ["org_a", "org_b"]}
    async with uow:
        await uow.matches.add(
            [
                {"_id": "m1", "pair_key": "a|b", "status": "SUGGESTED", "score": 0.5, **across},
                {"_id": "m2", "pair_key": "a|c", "status": "ACCEPTED", "score": 0.9, **across},
            ]
        )
        await uow.matches.withdraw_across("net_b", "net_a")
    assert [m["_id"] for m in await uow.matches.of("org_a", 10)] == ["m2"]
