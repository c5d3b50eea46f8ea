"""Commitments' unit of work over dicts: the repositories of
services/commitments/service/unit_of_work.py, in memory, ordered as services/commitments/store.py
orders them."""

from __future__ import annotations

import copy
from collections import defaultdict
from datetime import datetime

from pymongo.errors import DuplicateKeyError

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
from shared.mongo import Document
from tests.support.fake_uow import FakeRepository, FakeUnitOfWork


def grouped(docs: list[Document], ids: list[str]) -> dict[str, list[Document]]:
    found: dict[str, list[Document]] = defaultdict(list)
    for doc in docs:
        if doc["partnership_id"] in ids:
            found[doc["partnership_id"]].append(doc)
    return found


class FakeProfiles(FakeRepository, ProfileRepository):
    async def save(self, profile: OrganizationProfile) -> None:
        self._uow.writing()
        known = self._rows.get(profile.organization_id)
        if known is not None and known["version"] >= profile.version:
            return
        self._rows[profile.organization_id] = {
            "_id": profile.organization_id,
            "network_id": profile.network_id,
            "version": profile.version,
            "name": profile.name,
            "time_zone": profile.time_zone,
            "offers": [r.kind for r in profile.offers],
            "availability": [w.model_dump() for w in profile.availability],
            "archived": profile.archived,
        }

    async def of(self, ids: list[str]) -> dict[str, Document]:
        return {d["_id"]: d for d in self._all() if d["_id"] in ids}


class FakePartnerships(FakeRepository, PartnershipRepository):
    async def get(self, partnership_id: str) -> Document | None:
        return self._get(partnership_id)

    async def add(self, doc: Document) -> None:
        self._insert(doc)

    async def set(self, partnership_id: str, changes: Document) -> None:
        self._uow.writing()
        self._rows[partnership_id].update(changes)

    async def by_ids(self, ids: list[str]) -> list[Document]:
        return [d for d in self._all() if d["_id"] in ids]

    async def of_organizations(self, organization_ids: list[str]) -> dict[str, list[Document]]:
        found: dict[str, list[Document]] = defaultdict(list)
        for doc in sorted(self._all(), key=lambda d: d["formed_at"]):
            for org in set(organization_ids).intersection(doc["organization_ids"]):
                found[org].append(doc)
        return found

    async def in_network(
        self, network_id: str, status: str | None, after: str | None, limit: int
    ) -> list[Document]:
        return [
            d
            for d in self._all()
            if (d["network_id"] == network_id or network_id in d["network_ids"])
            and (not status or d["status"] == status)
            and (not after or d["_id"] > after)
        ][:limit]

    async def taking_up(self, need_id: str) -> list[Document]:
        found = [d for d in self._all() if d.get("need_id") == need_id]
        return sorted(found, key=lambda d: d["formed_at"])

    async def due_check_in(self, moment: datetime, limit: int) -> list[Document]:
        due = [
            d
            for d in self._all()
            if d["status"] in ("forming", "active") and d["next_check_in_at"] <= moment
        ]
        return sorted(due, key=lambda d: d["next_check_in_at"])[:limit]


class FakeRecords(FakeRepository, RecordRepository):
    def __init__(self, uow: FakeUnitOfWork) -> None:
        super().__init__(uow, "commitments")
        self._kinds = {kind: uow.tables[kind] for kind in CHILDREN}

    def _of_kind(self, kind: str) -> list[Document]:
        docs = [copy.deepcopy(d) for d in self._kinds[kind].values()]
        return sorted(docs, key=lambda d: (d["created_at"], d["_id"]))

    async def add(self, kind: str, doc: Document) -> None:
        self._uow.writing()
        if doc["_id"] in self._kinds[kind]:
            raise DuplicateKeyError(f"_id {doc['_id']} exists")
        self._kinds[kind][doc["_id"]] = copy.deepcopy(doc)

    async def count(self, kind: str, partnership_id: str) -> int:
        return sum(1 for d in self._kinds[kind].values() if d["partnership_id"] == partnership_id)

    async def of(self, kind: str, partnership_ids: list[str]) -> dict[str, list[Document]]:
        return grouped(self._of_kind(kind), partnership_ids)

    async def get(self, kind: str, record_id: str) -> Document | None:
        found = self._kinds[kind].get(record_id)
        return None if found is None else copy.deepcopy(found)

    async def set(self, kind: str, record_id: str, changes: Document) -> None:
        self._uow.writing()
        self._kinds[kind][record_id].update(copy.deepcopy(changes))

    async def commitment(self, commitment_id: str) -> Document | None:
        return self._get(commitment_id)

    async def set_commitment(self, commitment_id: str, changes: Document) -> None:
        self._uow.writing()
        self._rows[commitment_id].update(changes)

    async def closed_commitments_owned_by(self, organization_id: str) -> list[Document]:
        return [
            d
            for d in self._all()
            if d["owner_organization_id"] == organization_id and d["status"] not in NOT_CLOSED
        ]

    async def open_commitments_due_by(self, moment: datetime, limit: int) -> list[Document]:
        due = [d for d in self._all() if d["status"] == "open" and d["due_at"] <= moment]
        return sorted(due, key=lambda d: d["due_at"])[:limit]


class FakeReminders(FakeRepository, ReminderRepository):
    async def claimed(self, key: str) -> bool:
        return key in self._rows

    async def claim(self, key: str, at: datetime) -> None:
        self._insert({"_id": key, "sent_at": at})


class FakeReliability(FakeRepository, ReliabilityRepository):
    async def of(self, organization_ids: list[str]) -> dict[str, Document]:
        return {d["_id"]: d for d in self._all() if d["_id"] in organization_ids}

    async def save(self, organization_id: str, score: float, closed: int) -> float | None:
        self._uow.writing()
        previous = self._rows.get(organization_id)
        self._rows[organization_id] = {
            "_id": organization_id,
            "score": score,
            "closed_commitments": closed,
        }
        return None if previous is None else float(previous["score"])


class FakeHealth(FakeRepository, HealthRepository):
    def __init__(self, uow: FakeUnitOfWork) -> None:
        super().__init__(uow, "health_history")
        self._warnings = uow.tables["health_warnings"]

    async def add_point(self, point: Document) -> None:
        self._uow.writing()
        key = f"hp_{len(self._rows):08d}"  # insertion order, as ObjectIds would sort
        self._rows[key] = {"_id": key, **point}

    async def points(
        self,
        partnership_ids: list[str],
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> dict[str, list[Document]]:
        docs = [
            d
            for d in self._all()
            if (since is None or d["at"] >= since) and (until is None or d["at"] <= until)
        ]
        return grouped(sorted(docs, key=lambda d: (d["at"], d["_id"])), partnership_ids)

    async def add_warning(self, warning: Document) -> None:
        self._uow.writing()
        if warning["_id"] in self._warnings:
            raise DuplicateKeyError(f"_id {warning['_id']} exists")
        self._warnings[warning["_id"]] = copy.deepcopy(warning)

    async def warnings(self, partnership_ids: list[str]) -> dict[str, list[Document]]:
        docs = sorted(self._warnings.values(), key=lambda d: d["_id"])
        docs = sorted(docs, key=lambda d: d["at"], reverse=True)
        return grouped([copy.deepcopy(d) for d in docs], partnership_ids)


class FakeCommitmentsUnitOfWork(FakeUnitOfWork, CommitmentsUnitOfWork):
    def __init__(self) -> None:
        super().__init__(
            "profiles",
            "partnerships",
            *CHILDREN,
            "reminders",
            "reliability",
            "health_history",
            "health_warnings",
        )
        self.profiles = FakeProfiles(self, "profiles")
        self.partnerships = FakePartnerships(self, "partnerships")
        self.records = FakeRecords(self)
        self.reminders = FakeReminders(self, "reminders")
        self.reliability = FakeReliability(self, "reliability")
        self.health = FakeHealth(self)
