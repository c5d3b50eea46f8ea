"""Commitments' collections: partnerships and what happens in them, a read model of
organization profiles (names, offers, availability) built from intake events, reliability
per organization, the scheduler's claimed reminders, and each partnership's health history (a
dated point per change) and early warnings. Its repositories are the only code that touches
them, through the unit of work's session."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel

from services.commitments.domain.records import NOT_CLOSED
from services.commitments.service.unit_of_work import (
    CHILDREN,
    CommitmentsUnitOfWork,
    HealthRepository,
    PartnershipRepository,
    ProfileRepository,
    RecordRepository,
    ReliabilityRepository,
    ReminderRepository,
)
from shared.contracts import OrganizationProfile
from shared.idempotency import IDEMPOTENCY_INDEXES
from shared.mongo import Collection, Document, IndexSpec, save_newest
from shared.outbox import Outbox
from shared.unit_of_work import MongoUnitOfWork, Repository

INDEXES: IndexSpec = {
    "partnerships": [
        IndexModel([("organization_ids", ASCENDING)]),
        IndexModel([("network_id", ASCENDING), ("formed_at", ASCENDING)]),
        IndexModel([("network_ids", ASCENDING)]),
        IndexModel([("status", ASCENDING), ("next_check_in_at", ASCENDING)]),
        IndexModel([("need_id", ASCENDING)]),
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


class MongoProfiles(Repository, ProfileRepository):
    async def save(self, profile: OrganizationProfile) -> None:
        body = {
            "network_id": profile.network_id,
            "version": profile.version,
            "name": profile.name,
            "time_zone": profile.time_zone,
            "offers": [r.kind for r in profile.offers],
            "availability": [w.model_dump() for w in profile.availability],
            "archived": profile.archived,
        }
        await save_newest(self._db["profiles"], profile.organization_id, body, self._writing)

    async def of(self, ids: list[str]) -> dict[str, Document]:
        cursor = self._db["profiles"].find({"_id": {"$in": ids}}, session=self._session)
        return {p["_id"]: p async for p in cursor}


class MongoPartnerships(Repository, PartnershipRepository):
    @property
    def _partnerships(self) -> Collection:
        return self._db["partnerships"]

    async def get(self, partnership_id: str) -> Document | None:
        return await self._partnerships.find_one({"_id": partnership_id}, session=self._session)

    async def add(self, doc: Document) -> None:
        await self._partnerships.insert_one(doc, session=self._writing)

    async def set(self, partnership_id: str, changes: Document) -> None:
        await self._partnerships.update_one(
            {"_id": partnership_id}, {"$set": changes}, session=self._writing
        )

    async def by_ids(self, ids: list[str]) -> list[Document]:
        cursor = self._partnerships.find({"_id": {"$in": ids}}, session=self._session)
        found: list[Document] = await cursor.to_list()
        return found

    async def of_organizations(self, organization_ids: list[str]) -> dict[str, list[Document]]:
        found: dict[str, list[Document]] = defaultdict(list)
        wanted = set(organization_ids)
        query = {"organization_ids": {"$in": organization_ids}}
        cursor = self._partnerships.find(query, session=self._session)
        async for doc in cursor.sort("formed_at", ASCENDING):
            for org in wanted.intersection(doc["organization_ids"]):
                found[org].append(doc)
        return found

    async def in_network(
        self, network_id: str, status: str | None, after: str | None, limit: int
    ) -> list[Document]:
        query: dict[str, Any] = {"$or": [{"network_id": network_id}, {"network_ids": network_id}]}
        if status:
            query["status"] = status
        if after:
            query["_id"] = {"$gt": after}
        cursor = self._partnerships.find(query, session=self._session)
        found: list[Document] = await cursor.sort("_id", ASCENDING).limit(limit).to_list()
        return found

    async def taking_up(self, need_id: str) -> list[Document]:
        cursor = self._partnerships.find({"need_id": need_id}, session=self._session)
        found: list[Document] = await cursor.sort("formed_at", ASCENDING).to_list()
        return found

    async def due_check_in(self, moment: datetime, limit: int) -> list[Document]:
        query = {"status": {"$in": ["forming", "active"]}, "next_check_in_at": {"$lte": moment}}
        cursor = self._partnerships.find(query, session=self._session)
        found: list[Document] = (
            await cursor.sort("next_check_in_at", ASCENDING).limit(limit).to_list()
        )
        return found


class MongoRecords(Repository, RecordRepository):
    async def add(self, kind: str, doc: Document) -> None:
        await self._db[kind].insert_one(doc, session=self._writing)

    async def count(self, kind: str, partnership_id: str) -> int:
        query = {"partnership_id": partnership_id}
        return await self._db[kind].count_documents(query, session=self._session)

    async def of(self, kind: str, partnership_ids: list[str]) -> dict[str, list[Document]]:
        found: dict[str, list[Document]] = defaultdict(list)
        query = {"partnership_id": {"$in": partnership_ids}}
        cursor = self._db[kind].find(query, session=self._session)
        async for doc in cursor.sort([("created_at", ASCENDING), ("_id", ASCENDING)]):
            found[doc["partnership_id"]].append(doc)
        return found

    async def get(self, kind: str, record_id: str) -> Document | None:
        return await self._db[kind].find_one({"_id": record_id}, session=self._session)

    async def set(self, kind: str, record_id: str, changes: Document) -> None:
        await self._db[kind].update_one(
            {"_id": record_id}, {"$set": changes}, session=self._writing
        )

    async def commitment(self, commitment_id: str) -> Document | None:
        return await self._db["commitments"].find_one({"_id": commitment_id}, session=self._session)

    async def set_commitment(self, commitment_id: str, changes: Document) -> None:
        await self._db["commitments"].update_one(
            {"_id": commitment_id}, {"$set": changes}, session=self._writing
        )

    async def closed_commitments_owned_by(self, organization_id: str) -> list[Document]:
        query = {"owner_organization_id": organization_id, "status": {"$nin": list(NOT_CLOSED)}}
        found: list[Document] = (
            await self._db["commitments"].find(query, session=self._session).to_list()
        )
        return found

    async def open_commitments_due_by(self, moment: datetime, limit: int) -> list[Document]:
        query = {"status": "open", "due_at": {"$lte": moment}}
        cursor = self._db["commitments"].find(query, session=self._session)
        found: list[Document] = await cursor.sort("due_at", ASCENDING).limit(limit).to_list()
        return found


class MongoReminders(Repository, ReminderRepository):
    async def claimed(self, key: str) -> bool:
        return await self._db["reminders"].find_one({"_id": key}, session=self._session) is not None

    async def claim(self, key: str, at: datetime) -> None:
        await self._db["reminders"].insert_one({"_id": key, "sent_at": at}, session=self._writing)


class MongoReliability(Repository, ReliabilityRepository):
    async def of(self, organization_ids: list[str]) -> dict[str, Document]:
        query = {"_id": {"$in": organization_ids}}
        cursor = self._db["reliability"].find(query, session=self._session)
        return {r["_id"]: r async for r in cursor}

    async def save(self, organization_id: str, score: float, closed: int) -> float | None:
        reliability, session = self._db["reliability"], self._writing
        previous = await reliability.find_one({"_id": organization_id}, session=session)
        body = {"score": score, "closed_commitments": closed}
        if previous is None:
            await reliability.insert_one({"_id": organization_id, **body}, session=session)
            return None
        await reliability.update_one({"_id": organization_id}, {"$set": body}, session=session)
        old: float = previous["score"]
        return old


class MongoHealth(Repository, HealthRepository):
    async def add_point(self, point: Document) -> None:
        await self._db["health_history"].insert_one(point, session=self._writing)

    async def points(
        self,
        partnership_ids: list[str],
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> dict[str, list[Document]]:
        query: dict[str, Any] = {"partnership_id": {"$in": partnership_ids}}
        window = {k: v for k, v in (("$gte", since), ("$lte", until)) if v is not None}
        if window:
            query["at"] = window
        found: dict[str, list[Document]] = defaultdict(list)
        cursor = self._db["health_history"].find(query, session=self._session)
        async for doc in cursor.sort([("at", ASCENDING), ("_id", ASCENDING)]):
            found[doc["partnership_id"]].append(doc)
        return found

    async def add_warning(self, warning: Document) -> None:
        await self._db["health_warnings"].insert_one(warning, session=self._writing)

    async def warnings(self, partnership_ids: list[str]) -> dict[str, list[Document]]:
        found: dict[str, list[Document]] = defaultdict(list)
        query = {"partnership_id": {"$in": partnership_ids}}
        cursor = self._db["health_warnings"].find(query, session=self._session)
        async for doc in cursor.sort([("at", DESCENDING), ("_id", ASCENDING)]):
            found[doc["partnership_id"]].append(doc)
        return found


class MongoCommitmentsUnitOfWork(MongoUnitOfWork, CommitmentsUnitOfWork):
    def __init__(self, outbox: Outbox) -> None:
        super().__init__(outbox)
        self.profiles = MongoProfiles(self)
        self.partnerships = MongoPartnerships(self)
        self.records = MongoRecords(self)
        self.reminders = MongoReminders(self)
        self.reliability = MongoReliability(self)
        self.health = MongoHealth(self)


__all__ = ["CHILDREN", "INDEXES", "MongoCommitmentsUnitOfWork"]
