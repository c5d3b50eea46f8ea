"""Matching's collections: the read model (profiles with reliability, needs, links), built
only from intake and commitments events, and the matches (one document per unordered pair).
Its repositories are the only code that touches them, through the unit of work's session."""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, IndexModel, UpdateOne

from services.matching.unit_of_work import (
    LinkRepository,
    MatchingUnitOfWork,
    MatchRepository,
    NeedRepository,
    ProfileRepository,
)
from shared.contracts import LinkStatus, NeedProfile, NetworkLink, OrganizationProfile
from shared.idempotency import IDEMPOTENCY_INDEXES
from shared.mongo import Collection, Document, IndexSpec, save_newest
from shared.outbox import Outbox
from shared.unit_of_work import MongoUnitOfWork, Repository

LOAD_BATCH = 20_000  # profiles per batch when the index loads (each batch at most 16 MB)
INDEXES: IndexSpec = {
    "profiles": [IndexModel([("network_id", ASCENDING)])],
    "needs": [IndexModel([("network_id", ASCENDING)])],
    "matches": [
        IndexModel([("pair_key", ASCENDING)], unique=True),
        IndexModel([("organization_ids", ASCENDING), ("score", DESCENDING)]),
        IndexModel([("network_ids", ASCENDING)]),
    ],
    **IDEMPOTENCY_INDEXES,
}


class MongoProfiles(Repository, ProfileRepository):
    @property
    def _profiles(self) -> Collection:
        return self._db["profiles"]

    async def save(self, profile: OrganizationProfile) -> bool:
        body = profile.model_dump(mode="json")
        return await save_newest(self._profiles, profile.organization_id, body, self._writing)

    async def set_reliability(self, organization_id: str, value: float) -> bool:
        result = await self._profiles.update_one(
            {"_id": organization_id}, {"$set": {"reliability": value}}, session=self._writing
        )
        return result.matched_count > 0

    async def get(self, organization_id: str) -> Document | None:
        return await self._profiles.find_one({"_id": organization_id}, session=self._session)

    async def by_ids(self, ids: list[str]) -> dict[str, Document]:
        cursor = self._profiles.find({"_id": {"$in": ids}}, session=self._session)
        return {p["_id"]: p async for p in cursor}

    async def for_index(self) -> list[Document]:
        # whole documents: SecantusDB's projection (Python, a deep copy per document) took
        # twice the server's CPU of the fields it saved (BENCHMARKS.md); large batches: a
        # start-up reads every profile, and each batch is a round trip
        cursor = self._profiles.find({}, session=self._session, batch_size=LOAD_BATCH)
        found: list[Document] = await cursor.to_list()
        return found

    async def open_across(self, network_ids: list[str]) -> list[str]:
        query = {
            "network_id": {"$in": network_ids},
            "open_to_other_networks": True,
            "virtual_ready": True,
            "archived": {"$ne": True},
        }
        cursor = self._profiles.find(query, {"_id": 1}, session=self._session)
        return [d["_id"] async for d in cursor]


class MongoNeeds(Repository, NeedRepository):
    async def save(self, need: NeedProfile) -> bool:
        body = need.model_dump(mode="json")
        return await save_newest(self._db["needs"], need.need_id, body, self._writing)

    async def get(self, need_id: str) -> Document | None:
        return await self._db["needs"].find_one({"_id": need_id}, session=self._session)


class MongoLinks(Repository, LinkRepository):
    async def save(self, link: NetworkLink) -> bool:
        body = link.model_dump(mode="json")
        return await save_newest(self._db["network_links"], link.link_id, body, self._writing)

    async def active(self) -> list[NetworkLink]:
        query = {"status": LinkStatus.ACTIVE.value}
        cursor = self._db["network_links"].find(query, session=self._session)
        return [NetworkLink.model_validate(d) async for d in cursor]


class MongoMatches(Repository, MatchRepository):
    @property
    def _matches(self) -> Collection:
        return self._db["matches"]

    async def get(self, match_id: str) -> Document | None:
        return await self._matches.find_one({"_id": match_id}, session=self._session)

    async def of_pairs(self, keys: list[str]) -> dict[str, Document]:
        cursor = self._matches.find({"pair_key": {"$in": keys}}, session=self._session)
        return {m["pair_key"]: m async for m in cursor}

    async def of(self, organization_id: str, first: int) -> list[Document]:
        query = {"organization_ids": organization_id, "status": {"$ne": "DECLINED"}}
        cursor = self._matches.find(query, session=self._session)
        found: list[Document] = await cursor.sort("score", DESCENDING).limit(first).to_list()
        return found

    async def of_many(self, organization_ids: list[str], first: int) -> dict[str, list[Document]]:
        """From one query."""
        query = {"organization_ids": {"$in": organization_ids}, "status": {"$ne": "DECLINED"}}
        found: dict[str, list[Document]] = {org: [] for org in organization_ids}
        cursor = self._matches.find(query, session=self._session)
        async for match in cursor.sort("score", DESCENDING):
            for org in match["organization_ids"]:
                if org in found and len(found[org]) < first:
                    found[org].append(match)
        return found

    async def declined_partners(self, organization_id: str) -> list[str]:
        query = {"organization_ids": organization_id, "status": "DECLINED", "need_id": None}
        cursor = self._matches.find(query, session=self._session)
        return [o async for m in cursor for o in m["organization_ids"] if o != organization_id]

    async def open_scores(
        self, organization_ids: list[str], besides: list[str]
    ) -> dict[str, list[float]]:
        query = {
            "organization_ids": {"$in": organization_ids},
            "status": "SUGGESTED",
            "_id": {"$nin": besides},
        }
        fields = {"_id": 0, "organization_ids": 1, "score": 1}
        # a popular partner has many: one batch rather than a getMore per hundred
        cursor = self._matches.find(query, fields, session=self._session, batch_size=10_000)
        found: dict[str, list[float]] = {o: [] for o in organization_ids}
        async for match in cursor:
            for o in match["organization_ids"]:
                if o in found:
                    found[o].append(match["score"])
        return found

    async def open_for_need(self, need_id: str) -> list[Document]:
        query = {"need_id": need_id, "status": "SUGGESTED"}
        found: list[Document] = await self._matches.find(query, session=self._session).to_list()
        return found

    async def add(self, matches: list[Document]) -> None:
        if matches:
            await self._matches.insert_many(matches, ordered=True, session=self._writing)

    async def refresh(self, fresh: dict[str, Document]) -> None:
        updates = [UpdateOne({"_id": i}, {"$set": f}) for i, f in fresh.items()]
        if updates:
            await self._matches.bulk_write(updates, ordered=True, session=self._writing)

    async def record_answer(
        self, match_id: str, organization_id: str, answer: Document, status: str
    ) -> None:
        await self._matches.update_one(
            {"_id": match_id},
            {"$set": {f"answers.{organization_id}": answer, "status": status}},
            session=self._writing,
        )

    async def withdraw(self, match_ids: list[str]) -> None:
        if match_ids:
            query = {"_id": {"$in": match_ids}}
            await self._matches.delete_many(query, session=self._writing)

    async def withdraw_of(self, organization_id: str) -> None:
        query = {"organization_ids": organization_id, "status": "SUGGESTED"}
        await self._matches.delete_many(query, session=self._writing)

    async def withdraw_across(self, network_id: str, other_network_id: str) -> None:
        query = {"network_ids": {"$all": [network_id, other_network_id]}, "status": "SUGGESTED"}
        await self._matches.delete_many(query, session=self._writing)


class MongoMatchingUnitOfWork(MongoUnitOfWork, MatchingUnitOfWork):
    def __init__(self, outbox: Outbox) -> None:
        super().__init__(outbox)
        self.profiles = MongoProfiles(self)
        self.needs = MongoNeeds(self)
        self.links = MongoLinks(self)
        self.matches = MongoMatches(self)
