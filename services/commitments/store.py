"""Commitments' collections: partnerships and what happens in them, a read model of
organization profiles (names, offers, availability) built from intake events, reliability
per organization, the scheduler's claimed reminders, and each partnership's health history (a
dated point per change) and early warnings. The only module that touches them."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel

from services.commitments.domain.records import NOT_CLOSED
from shared.contracts import OrganizationProfile
from shared.idempotency import IDEMPOTENCY_INDEXES
from shared.mongo import Database, Document, IndexSpec, Session, save_newest

# Everything recorded in a partnership lives in one of these, keyed by `partnership_id`.
CHILDREN = ("commitments", "check_ins", "milestones", "contributions", "feedback")

INDEXES: IndexSpec = {
    "partnerships": [
        IndexModel([("organization_ids", ASCENDING)]),
        IndexModel([("network_id", ASCENDING), ("formed_at", ASCENDING)]),
        IndexModel([("network_ids", ASCENDING)]),
        IndexModel([("status", ASCENDING), ("next_check_in_at", ASCENDING)]),
    ],
    "commitments": [
        IndexModel([("partnership_id", ASCENDING)]),
        IndexModel([("status", ASCENDING), ("due_at", ASCENDING)]),
        IndexModel([("owner_organization_id", ASCENDING)]),
    ],
    **{name: [IndexModel([("partnership_id", ASCENDING)])] for name in CHILDREN[1:]},
    "health_history": [IndexModel([("partnership_id", ASCENDING), ("at", ASCENDING)])],
    "health_warnings": [IndexModel([("partnership_id", ASCENDING), ("at", ASCENDING)])],
    **IDEMPOTENCY_INDEXES,
}


class CommitmentStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._profiles = db["profiles"]
        self._partnerships = db["partnerships"]
        self._commitments = db["commitments"]
        self._reminders = db["reminders"]
        self._reliability = db["reliability"]
        self._health_history = db["health_history"]
        self._health_warnings = db["health_warnings"]

    async def save_profile(self, profile: OrganizationProfile, session: Session) -> None:
        """Keeps the newest version; an older event arriving late changes nothing."""
        body = {
            "network_id": profile.network_id,
            "version": profile.version,
            "name": profile.name,
            "time_zone": profile.time_zone,
            "offers": [r.kind for r in profile.offers],
            "availability": [w.model_dump() for w in profile.availability],
            "archived": profile.archived,
        }
        await save_newest(self._profiles, profile.organization_id, body, session)

    async def profiles_of(
        self, ids: list[str], session: Session | None = None
    ) -> dict[str, Document]:
        cursor = self._profiles.find({"_id": {"$in": ids}}, session=session)
        return {p["_id"]: p async for p in cursor}

    async def partnership(
        self, partnership_id: str, session: Session | None = None
    ) -> Document | None:
        return await self._partnerships.find_one({"_id": partnership_id}, session=session)

    async def add_partnership(self, doc: Document, session: Session) -> None:
        await self._partnerships.insert_one(doc, session=session)

    async def partnerships_by_ids(self, ids: list[str]) -> list[Document]:
        return await self._partnerships.find({"_id": {"$in": ids}}).to_list()

    async def partnerships_of(self, organization_ids: list[str]) -> dict[str, list[Document]]:
        found: dict[str, list[Document]] = defaultdict(list)
        wanted = set(organization_ids)
        cursor = self._partnerships.find({"organization_ids": {"$in": organization_ids}})
        async for doc in cursor.sort("formed_at", ASCENDING):
            for org in wanted.intersection(doc["organization_ids"]):
                found[org].append(doc)
        return found

    async def partnerships_in(
        self, network_id: str, status: str | None, after: str | None, limit: int
    ) -> list[Document]:
        # its own, and those formed across a link with another network
        query: dict[str, Any] = {"$or": [{"network_id": network_id}, {"network_ids": network_id}]}
        if status:
            query["status"] = status
        if after:
            query["_id"] = {"$gt": after}
        return await self._partnerships.find(query).sort("_id", ASCENDING).limit(limit).to_list()

    async def set_partnership(
        self, partnership_id: str, changes: Document, session: Session
    ) -> None:
        await self._partnerships.update_one(
            {"_id": partnership_id}, {"$set": changes}, session=session
        )

    async def set_commitment(self, commitment_id: str, changes: Document, session: Session) -> None:
        await self._commitments.update_one(
            {"_id": commitment_id}, {"$set": changes}, session=session
        )

    async def count_children(self, collection: str, partnership_id: str, session: Session) -> int:
        query = {"partnership_id": partnership_id}
        return await self._db[collection].count_documents(query, session=session)

    async def children(
        self, collection: str, partnership_ids: list[str], session: Session | None = None
    ) -> dict[str, list[Document]]:
        found: dict[str, list[Document]] = defaultdict(list)
        query = {"partnership_id": {"$in": partnership_ids}}
        cursor = self._db[collection].find(query, session=session)
        async for doc in cursor.sort([("created_at", ASCENDING), ("_id", ASCENDING)]):
            found[doc["partnership_id"]].append(doc)
        return found

    async def insert_child(self, collection: str, doc: Document, session: Session) -> None:
        await self._db[collection].insert_one(doc, session=session)

    async def commitment(
        self, commitment_id: str, session: Session | None = None
    ) -> Document | None:
        return await self._commitments.find_one({"_id": commitment_id}, session=session)

    async def closed_commitments_owned_by(
        self, organization_id: str, session: Session
    ) -> list[Document]:
        query = {
            "owner_organization_id": organization_id,
            "status": {"$nin": list(NOT_CLOSED)},
        }
        return await self._commitments.find(query, session=session).to_list()

    async def open_commitments_due_by(self, moment: datetime, limit: int) -> list[Document]:
        query = {"status": "open", "due_at": {"$lte": moment}}
        return await self._commitments.find(query).sort("due_at", ASCENDING).limit(limit).to_list()

    async def partnerships_due_check_in(self, moment: datetime, limit: int) -> list[Document]:
        query = {"status": {"$in": ["forming", "active"]}, "next_check_in_at": {"$lte": moment}}
        cursor = self._partnerships.find(query).sort("next_check_in_at", ASCENDING).limit(limit)
        return await cursor.to_list()

    async def claimed(self, key: str) -> bool:
        return await self._reminders.find_one({"_id": key}) is not None

    async def claim(self, key: str, at: datetime, session: Session) -> None:
        """Raises DuplicateKeyError when another run already sent this reminder."""
        await self._reminders.insert_one({"_id": key, "sent_at": at}, session=session)

    async def reliability_of(self, organization_ids: list[str]) -> dict[str, Document]:
        cursor = self._reliability.find({"_id": {"$in": organization_ids}})
        return {r["_id"]: r async for r in cursor}

    async def save_reliability(
        self, organization_id: str, score: float, closed: int, session: Session
    ) -> float | None:
        """Stores the new score; answers the previous one."""
        previous = await self._reliability.find_one({"_id": organization_id}, session=session)
        body = {"score": score, "closed_commitments": closed}
        if previous is None:
            await self._reliability.insert_one({"_id": organization_id, **body}, session=session)
            return None
        await self._reliability.update_one(
            {"_id": organization_id}, {"$set": body}, session=session
        )
        old: float = previous["score"]
        return old

    async def add_health_point(self, point: Document, session: Session) -> None:
        await self._health_history.insert_one(point, session=session)

    async def health_points(
        self,
        partnership_ids: list[str],
        since: datetime | None = None,
        until: datetime | None = None,
        session: Session | None = None,
    ) -> dict[str, list[Document]]:
        """Each partnership's points, oldest first, between `since` and `until` (inclusive)."""
        query: dict[str, Any] = {"partnership_id": {"$in": partnership_ids}}
        window = {k: v for k, v in (("$gte", since), ("$lte", until)) if v is not None}
        if window:
            query["at"] = window
        found: dict[str, list[Document]] = defaultdict(list)
        cursor = self._health_history.find(query, session=session)
        async for doc in cursor.sort([("at", ASCENDING), ("_id", ASCENDING)]):
            found[doc["partnership_id"]].append(doc)
        return found

    async def add_health_warning(self, warning: Document, session: Session) -> None:
        """`_id` is the warning's event id: one per crossing."""
        await self._health_warnings.insert_one(warning, session=session)

    async def health_warnings(self, partnership_ids: list[str]) -> dict[str, list[Document]]:
        """Each partnership's early warnings, newest first."""
        found: dict[str, list[Document]] = defaultdict(list)
        cursor = self._health_warnings.find({"partnership_id": {"$in": partnership_ids}})
        async for doc in cursor.sort([("at", DESCENDING), ("_id", ASCENDING)]):
            found[doc["partnership_id"]].append(doc)
        return found
