"""Matching's unit of work over dicts: the repositories of services/matching/unit_of_work.py,
in memory, with the unique pair key and the orders of services/matching/store.py."""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from services.matching.unit_of_work import (
    LinkRepository,
    MatchingUnitOfWork,
    MatchRepository,
    NeedRepository,
    ProfileRepository,
)
from shared.contracts import LinkStatus, NeedProfile, NetworkLink, OrganizationProfile
from shared.mongo import Document
from tests.support.fake_uow import FakeRepository, FakeUnitOfWork


class FakeNewest(FakeRepository):
    def _save_newest(self, key: str, body: Document) -> bool:
        self._uow.writing()
        known = self._rows.get(key)
        if known is not None and known["version"] >= body["version"]:
            return False
        self._rows[key] = {**(known or {}), "_id": key, **body}
        return True


class FakeProfiles(FakeNewest, ProfileRepository):
    async def save(self, profile: OrganizationProfile) -> bool:
        return self._save_newest(profile.organization_id, profile.model_dump(mode="json"))

    async def set_reliability(self, organization_id: str, value: float) -> bool:
        self._uow.writing()
        if organization_id not in self._rows:
            return False
        self._rows[organization_id]["reliability"] = value
        return True

    async def get(self, organization_id: str) -> Document | None:
        return self._get(organization_id)

    async def by_ids(self, ids: list[str]) -> dict[str, Document]:
        return {d["_id"]: d for d in self._all() if d["_id"] in ids}

    async def for_index(self) -> list[Document]:
        return self._all()

    async def open_across(self, network_ids: list[str]) -> list[str]:
        return [
            d["_id"]
            for d in self._all()
            if d["network_id"] in network_ids
            and d["open_to_other_networks"]
            and d["virtual_ready"]
            and not d["archived"]
        ]


class FakeNeeds(FakeNewest, NeedRepository):
    async def save(self, need: NeedProfile) -> bool:
        return self._save_newest(need.need_id, need.model_dump(mode="json"))

    async def get(self, need_id: str) -> Document | None:
        return self._get(need_id)


class FakeLinks(FakeNewest, LinkRepository):
    async def save(self, link: NetworkLink) -> bool:
        return self._save_newest(link.link_id, link.model_dump(mode="json"))

    async def active(self) -> list[NetworkLink]:
        return [
            NetworkLink.model_validate(d)
            for d in self._all()
            if d["status"] == LinkStatus.ACTIVE.value
        ]


class FakeMatches(FakeRepository, MatchRepository):
    def _best_first(self, wanted: Any) -> list[Document]:
        return sorted((d for d in self._all() if wanted(d)), key=lambda d: -d["score"])

    async def get(self, match_id: str) -> Document | None:
        return self._get(match_id)

    async def of_pairs(self, keys: list[str]) -> dict[str, Document]:
        return {d["pair_key"]: d for d in self._all() if d["pair_key"] in keys}

    async def of(self, organization_id: str, first: int) -> list[Document]:
        return self._best_first(
            lambda d: organization_id in d["organization_ids"] and d["status"] != "DECLINED"
        )[:first]

    async def of_many(self, organization_ids: list[str], first: int) -> dict[str, list[Document]]:
        return {org: await self.of(org, first) for org in organization_ids}

    async def declined_partners(self, organization_id: str) -> list[str]:
        return [
            o
            for d in self._all()
            if organization_id in d["organization_ids"]
            and d["status"] == "DECLINED"
            and d.get("need_id") is None
            for o in d["organization_ids"]
            if o != organization_id
        ]

    async def open_scores(
        self, organization_ids: list[str], besides: list[str]
    ) -> dict[str, list[float]]:
        return {
            o: [
                d["score"]
                for d in self._all()
                if o in d["organization_ids"]
                and d["status"] == "SUGGESTED"
                and d["_id"] not in besides
            ]
            for o in organization_ids
        }

    async def open_for_need(self, need_id: str) -> list[Document]:
        return [
            d for d in self._all() if d.get("need_id") == need_id and d["status"] == "SUGGESTED"
        ]

    async def add(self, matches: list[Document]) -> None:
        keys = {d["pair_key"] for d in self._rows.values()}
        for match in matches:
            if match["pair_key"] in keys:
                raise DuplicateKeyError(f"pair {match['pair_key']} exists")
            keys.add(match["pair_key"])
            self._insert(match)

    async def refresh(self, fresh: dict[str, Document]) -> None:
        self._uow.writing()
        for match_id, changes in fresh.items():
            self._rows[match_id].update(changes)

    async def record_answer(
        self, match_id: str, organization_id: str, answer: Document, status: str
    ) -> None:
        self._uow.writing()
        match = self._rows[match_id]
        match["answers"][organization_id] = answer
        match["status"] = status

    def _delete(self, wanted: Any) -> None:
        self._uow.writing()
        for match_id in [i for i, d in self._rows.items() if wanted(d)]:
            del self._rows[match_id]

    async def withdraw(self, match_ids: list[str]) -> None:
        self._delete(lambda d: d["_id"] in match_ids)

    async def withdraw_of(self, organization_id: str) -> None:
        self._delete(
            lambda d: organization_id in d["organization_ids"] and d["status"] == "SUGGESTED"
        )

    async def withdraw_across(self, network_id: str, other_network_id: str) -> None:
        def across(d: Document) -> bool:
            networks = d.get("network_ids") or []
            return network_id in networks and other_network_id in networks

        self._delete(lambda d: across(d) and d["status"] == "SUGGESTED")


class FakeMatchingUnitOfWork(FakeUnitOfWork, MatchingUnitOfWork):
    def __init__(self) -> None:
        super().__init__("profiles", "needs", "network_links", "matches")
        self.profiles = FakeProfiles(self, "profiles")
        self.needs = FakeNeeds(self, "needs")
        self.links = FakeLinks(self, "network_links")
        self.matches = FakeMatches(self, "matches")
