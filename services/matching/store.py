"""Matching's collections: the read model (profiles with reliability, needs), built only from
intake and commitments events, and the matches (one document per unordered pair). The only
module that touches them."""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, IndexModel, UpdateOne

from shared.contracts import LinkStatus, NeedProfile, NetworkLink, OrganizationProfile
from shared.idempotency import IDEMPOTENCY_INDEXES
from shared.mongo import Database, Document, IndexSpec, Session, save_newest

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


class MatchingStore:
    def __init__(self, db: Database) -> None:
        self._profiles = db["profiles"]
        self._needs = db["needs"]
        self._matches = db["matches"]
        self._links = db["network_links"]

    async def save_profile(self, profile: OrganizationProfile, session: Session) -> bool:
        """Keeps the newest version; an older event arriving late changes nothing."""
        body = profile.model_dump(mode="json")
        return await save_newest(self._profiles, profile.organization_id, body, session)

    async def save_need(self, need: NeedProfile, session: Session) -> bool:
        body = need.model_dump(mode="json")
        return await save_newest(self._needs, need.need_id, body, session)

    async def save_link(self, link: NetworkLink, session: Session) -> bool:
        """The newest state of a link between networks; a late older event changes nothing."""
        return await save_newest(self._links, link.link_id, link.model_dump(mode="json"), session)

    async def active_links(self) -> list[NetworkLink]:
        found = await self._links.find({"status": LinkStatus.ACTIVE.value}).to_list()
        return [NetworkLink.model_validate(d) for d in found]

    async def profiles_open_across(self, network_ids: list[str], session: Session) -> list[str]:
        """The organizations of these networks that may be matched across a link."""
        query = {
            "network_id": {"$in": network_ids},
            "open_to_other_networks": True,
            "virtual_ready": True,
            "archived": {"$ne": True},
        }
        found = await self._profiles.find(query, {"_id": 1}, session=session).to_list()
        return [d["_id"] for d in found]

    async def withdraw_suggestions_across(
        self, network_id: str, other_network_id: str, session: Session
    ) -> None:
        """Every unanswered suggestion of a pair across these two networks (a link ended)."""
        query = {"network_ids": {"$all": [network_id, other_network_id]}, "status": "SUGGESTED"}
        await self._matches.delete_many(query, session=session)

    async def set_reliability(self, organization_id: str, value: float, session: Session) -> bool:
        result = await self._profiles.update_one(
            {"_id": organization_id}, {"$set": {"reliability": value}}, session=session
        )
        return result.matched_count > 0

    async def profile(self, organization_id: str) -> Document | None:
        return await self._profiles.find_one({"_id": organization_id})

    async def profiles_by_ids(self, ids: list[str], session: Session) -> dict[str, Document]:
        found = await self._profiles.find({"_id": {"$in": ids}}, session=session).to_list()
        return {p["_id"]: p for p in found}

    async def need(self, need_id: str) -> Document | None:
        return await self._needs.find_one({"_id": need_id})

    async def all_profiles(self) -> list[Document]:
        return await self._profiles.find({}).to_list()

    async def declined_partners(self, organization_id: str, session: Session) -> list[str]:
        """Partners of declined pairs (declining a coalition for a need bans no pair)."""
        found = await self._matches.find(
            {"organization_ids": organization_id, "status": "DECLINED", "need_id": None},
            session=session,
        ).to_list()
        return [o for m in found for o in m["organization_ids"] if o != organization_id]

    async def matches_of_many(
        self, organization_ids: list[str], first: int
    ) -> dict[str, list[Document]]:
        """The best `first` matches of each organization, from one query."""
        cursor = self._matches.find(
            {"organization_ids": {"$in": organization_ids}, "status": {"$ne": "DECLINED"}}
        )
        found: dict[str, list[Document]] = {org: [] for org in organization_ids}
        async for match in cursor.sort("score", DESCENDING):
            for org in match["organization_ids"]:
                if org in found and len(found[org]) < first:
                    found[org].append(match)
        return found

    async def matches_of(self, organization_id: str, first: int) -> list[Document]:
        cursor = self._matches.find(
            {"organization_ids": organization_id, "status": {"$ne": "DECLINED"}}
        )
        return await cursor.sort("score", DESCENDING).limit(first).to_list()

    async def match(self, match_id: str, session: Session | None = None) -> Document | None:
        return await self._matches.find_one({"_id": match_id}, session=session)

    async def match_of_pair(self, key: str, session: Session) -> Document | None:
        """The match of a pair or coalition (its `pair_key`), whatever its status."""
        return await self._matches.find_one({"pair_key": key}, session=session)

    async def matches_of_pairs(self, keys: list[str], session: Session) -> dict[str, Document]:
        """The matches of these pairs or coalitions that exist, by `pair_key`."""
        found = await self._matches.find({"pair_key": {"$in": keys}}, session=session).to_list()
        return {m["pair_key"]: m for m in found}

    async def add_matches(self, matches: list[Document], session: Session) -> None:
        """New suggestions in one write; a concurrent one for the same pair fails (a unique
        index)."""
        if matches:
            await self._matches.insert_many(matches, ordered=True, session=session)

    async def refresh_matches(self, fresh: dict[str, Document], session: Session) -> None:
        """New scores and reasons for suggestions nobody answered yet, by match id."""
        updates = [UpdateOne({"_id": i}, {"$set": f}) for i, f in fresh.items()]
        if updates:
            await self._matches.bulk_write(updates, ordered=True, session=session)

    async def record_answer(
        self, match_id: str, organization_id: str, answer: Document, status: str, session: Session
    ) -> None:
        """One organization's answer to a match, and the match's status after it."""
        await self._matches.update_one(
            {"_id": match_id},
            {"$set": {f"answers.{organization_id}": answer, "status": status}},
            session=session,
        )

    async def open_suggestions_for_need(self, need_id: str, session: Session) -> list[Document]:
        return await self._matches.find(
            {"need_id": need_id, "status": "SUGGESTED"}, session=session
        ).to_list()

    async def withdraw_suggestions(self, match_ids: list[str], session: Session) -> None:
        if match_ids:
            await self._matches.delete_many({"_id": {"$in": match_ids}}, session=session)

    async def withdraw_suggestions_of(self, organization_id: str, session: Session) -> None:
        """Every unanswered suggestion an (archived) organization is part of."""
        await self._matches.delete_many(
            {"organization_ids": organization_id, "status": "SUGGESTED"}, session=session
        )
