"""Intake's MongoDB collections and the queries on them: the only module that touches them."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, IndexModel, InsertOne, UpdateOne

from services.intake.domain.needs import area_key
from services.intake.domain.profiles import normalized_name
from services.intake.tokens import token_hash
from shared.contracts import MemberRef, NeedProfile, NetworkLink, OrganizationProfile
from shared.errors import AppError, ErrorCode
from shared.idempotency import IDEMPOTENCY_INDEXES
from shared.mongo import Database, Document, IndexSpec, Session

INDEXES: IndexSpec = {
    "networks": [IndexModel([("join_code", ASCENDING)], unique=True)],
    "organizations": [
        IndexModel([("network_id", ASCENDING), ("normalized_name", ASCENDING)], unique=True),
    ],
    "members": [
        IndexModel([("network_id", ASCENDING), ("email", ASCENDING)], unique=True),
        IndexModel([("organization_id", ASCENDING)]),
    ],
    "tokens": [IndexModel([("member_id", ASCENDING)])],
    "needs": [
        IndexModel(
            [("network_id", ASCENDING), ("area_key", ASCENDING), ("focus_area", ASCENDING)],
            unique=True,
        ),
    ],
    "network_links": [
        IndexModel([("proposer_network_id", ASCENDING)]),
        IndexModel([("recipient_network_id", ASCENDING)]),
    ],
    **IDEMPOTENCY_INDEXES,
}


def need_doc(need: NeedProfile, **extra: Any) -> Document:
    return {"_id": need.need_id, **need.model_dump(), "area_key": area_key(need.area), **extra}


class IntakeStore:
    def __init__(self, db: Database) -> None:
        self._networks = db["networks"]
        self._organizations = db["organizations"]
        self._members = db["members"]
        self._tokens = db["tokens"]
        self._needs = db["needs"]
        self._survey_imports = db["survey_imports"]
        self._links = db["network_links"]
        self._link_pairs = db["network_link_pairs"]

    async def network(self, network_id: str) -> Document | None:
        return await self._networks.find_one({"_id": network_id})

    async def networks_by_ids(self, ids: list[str]) -> list[Document]:
        return await self._networks.find({"_id": {"$in": ids}}).to_list()

    async def add_network(
        self, network_id: str, fields: Document, join_code: str, at: datetime, session: Session
    ) -> None:
        doc = {"_id": network_id, **fields, "join_code": join_code, "created_at": at}
        await self._networks.insert_one(doc, session=session)

    async def set_join_code(self, network_id: str, join_code: str, session: Session) -> None:
        """The old code stops working at once (join codes are unique)."""
        await self._networks.update_one(
            {"_id": network_id}, {"$set": {"join_code": join_code}}, session=session
        )

    async def token(self, hashed: str) -> Document | None:
        return await self._tokens.find_one({"_id": hashed, "revoked": False})

    async def organization(self, organization_id: str) -> Document | None:
        return await self._organizations.find_one({"_id": organization_id})

    async def organizations_by_ids(self, ids: list[str]) -> list[Document]:
        return await self._organizations.find({"_id": {"$in": ids}}).to_list()

    async def add_organization(
        self, profile: OrganizationProfile, normalized: str, session: Session
    ) -> None:
        """A new organization; its normalized name is unique in the network (a concurrent
        registration of the same name fails with DuplicateKeyError)."""
        doc = {
            "_id": profile.organization_id,
            **profile.model_dump(),
            "normalized_name": normalized,
        }
        await self._organizations.insert_one(doc, session=session)

    async def member(self, member_id: str, session: Session | None = None) -> Document | None:
        return await self._members.find_one({"_id": member_id}, session=session)

    async def add_member(
        self,
        member: MemberRef,
        network_id: str,
        organization_id: str,
        token: str,
        session: Session,
    ) -> None:
        """The member and their token (stored hashed)."""
        doc = {
            "_id": member.member_id,
            "network_id": network_id,
            "organization_id": organization_id,
            **member.model_dump(),
        }
        await self._members.insert_one(doc, session=session)
        await self.add_token(
            token, member.role, network_id, member.member_id, organization_id, session
        )

    async def add_token(
        self,
        token: str,
        role: str,
        network_id: str,
        member_id: str,
        organization_id: str | None,
        session: Session,
    ) -> None:
        doc = {
            "_id": token_hash(token),
            "role": role,
            "network_id": network_id,
            "member_id": member_id,
            "organization_id": organization_id,
            "revoked": False,
        }
        await self._tokens.insert_one(doc, session=session)

    async def remove_member(self, member: Document, session: Session) -> None:
        """Deletes the member and revokes every token of theirs. Also touches the organization,
        so two removals racing in one organization collide (a write conflict, retried)
        instead of each seeing an admin the other is removing."""
        await self._members.delete_one({"_id": member["_id"]}, session=session)
        revoke = {"$set": {"revoked": True}}
        await self._tokens.update_many({"member_id": member["_id"]}, revoke, session=session)
        touch = {"$inc": {"member_writes": 1}}
        await self._organizations.update_one(
            {"_id": member["organization_id"]}, touch, session=session
        )

    async def update_organization(
        self, organization_id: str, version: int, changes: dict[str, Any], session: Session
    ) -> None:
        """Applies `changes` if the organization is still at `version`; CONFLICT otherwise."""
        result = await self._organizations.update_one(
            {"_id": organization_id, "version": version}, {"$set": changes}, session=session
        )
        if result.matched_count != 1:
            raise AppError(
                ErrorCode.CONFLICT, "the organization changed meanwhile; read it and retry"
            )

    async def admins_in(self, organization_id: str, session: Session) -> int:
        query = {"organization_id": organization_id, "role": "ORG_ADMIN"}
        return await self._members.count_documents(query, session=session)

    async def find_duplicate_organization(
        self, network_id: str, normalized: str, admin_email: str
    ) -> Document | None:
        by_name = await self._organizations.find_one(
            {"network_id": network_id, "normalized_name": normalized}
        )
        if by_name:
            return by_name
        member = await self._members.find_one(
            {"network_id": network_id, "email": admin_email.lower(), "role": "ORG_ADMIN"}
        )
        if member:
            return await self._organizations.find_one({"_id": member["organization_id"]})
        return None

    async def member_by_email(self, network_id: str, email: str) -> Document | None:
        return await self._members.find_one({"network_id": network_id, "email": email.lower()})

    async def organization_named(
        self, network_id: str, normalized: str, other_than: str
    ) -> Document | None:
        return await self._organizations.find_one(
            {"network_id": network_id, "normalized_name": normalized, "_id": {"$ne": other_than}}
        )

    async def organizations_page(
        self,
        network_id: str,
        *,
        focus: dict[str, str] | None,
        resource_kind: str | None,
        search: str | None,
        first: int,
        after: str | None,
    ) -> list[Document]:
        """One page in id order (`first` + 1 rows, so the caller knows if more follow);
        archived organizations are left out."""
        query: dict[str, Any] = {"network_id": network_id, "archived": {"$ne": True}}
        if focus:
            query.update(focus)
        if resource_kind:
            query["offers.kind"] = resource_kind
        if search:
            pattern = {"$regex": re.escape(search), "$options": "i"}
            query["$or"] = [{"name": pattern}, {"mission": pattern}]
        if after:
            query["_id"] = {"$gt": after}
        return (
            await self._organizations.find(query).sort("_id", ASCENDING).limit(first + 1).to_list()
        )

    async def need(self, need_id: str) -> Document | None:
        return await self._needs.find_one({"_id": need_id})

    async def need_by_key(self, network_id: str, area_key: str, focus_area: str) -> Document | None:
        return await self._needs.find_one(
            {"network_id": network_id, "area_key": area_key, "focus_area": focus_area}
        )

    async def needs_by_keys(
        self, network_id: str, keys: list[tuple[str, str]]
    ) -> dict[tuple[str, str], Document]:
        """The needs already known for (area key, focus area) pairs: one query."""
        areas = sorted({area for area, _ in keys})
        wanted = set(keys)
        found: dict[tuple[str, str], Document] = {}
        cursor = self._needs.find({"network_id": network_id, "area_key": {"$in": areas}})
        async for doc in cursor:
            key = (doc["area_key"], doc["focus_area"])
            if key in wanted:
                found[key] = doc
        return found

    async def needs_page(
        self,
        network_id: str,
        *,
        focus_area: str | None,
        area_key: str | None,
        first: int,
        after: str | None,
    ) -> list[Document]:
        query: dict[str, Any] = {"network_id": network_id}
        if focus_area:
            query["focus_area"] = focus_area
        if area_key:
            query["area_key"] = area_key
        if after:
            query["_id"] = {"$gt": after}
        return await self._needs.find(query).sort("_id", ASCENDING).limit(first + 1).to_list()

    async def save_needs(
        self,
        created: list[NeedProfile],
        updated: list[tuple[NeedProfile, int]],
        session: Session,
        reported_by: str = "",
    ) -> None:
        """New needs (`reported_by` whom) and strengthened ones, each replacing the version it
        was read at, in one bulk write; raises StaleWrite when another writer changed one of
        the needs meanwhile (the transaction then aborts)."""
        ops: list[InsertOne[Document] | UpdateOne] = [
            InsertOne(need_doc(need, reported_by=reported_by)) for need in created
        ]
        ops += [
            UpdateOne({"_id": need.need_id, "version": version}, {"$set": need_doc(need)})
            for need, version in updated
        ]
        if not ops:
            return
        result = await self._needs.bulk_write(ops, ordered=True, session=session)
        if result.matched_count != len(updated):
            raise StaleWrite("a need changed while it was being strengthened")

    # -- directories (Open Referral HSDS) --------------------------------------------------------

    async def save_directory(
        self,
        created: list[tuple[OrganizationProfile, str, MemberRef]],
        updated: list[tuple[OrganizationProfile, int]],
        session: Session,
    ) -> None:
        """New organizations (with their HSDS id and their admin, who has no token) and
        changed ones, each replacing the version it was read at, in bulk writes; StaleWrite
        when another writer changed one meanwhile (the transaction then aborts)."""
        if created:
            docs = [
                {
                    "_id": p.organization_id,
                    **p.model_dump(),
                    "normalized_name": normalized_name(p.name),
                    "hsds_id": hsds_id,
                }
                for p, hsds_id, _ in created
            ]
            await self._organizations.insert_many(docs, ordered=True, session=session)
            members = [
                {
                    "_id": m.member_id,
                    "network_id": p.network_id,
                    "organization_id": p.organization_id,
                    **m.model_dump(),
                }
                for p, _, m in created
            ]
            await self._members.insert_many(members, ordered=True, session=session)
        if updated:
            ops = [
                UpdateOne(
                    {"_id": p.organization_id, "version": version},
                    {"$set": {**p.model_dump(), "normalized_name": normalized_name(p.name)}},
                )
                for p, version in updated
            ]
            result = await self._organizations.bulk_write(ops, ordered=True, session=session)
            if result.matched_count != len(updated):
                raise StaleWrite("an organization changed while the directory was imported")

    async def network_organizations(
        self, network_id: str, *, with_archived: bool = False
    ) -> list[Document]:
        """Every organization of the network (archived ones only when asked), in id order."""
        query: dict[str, Any] = {"network_id": network_id}
        if not with_archived:
            query["archived"] = {"$ne": True}
        return await self._organizations.find(query).sort("_id", ASCENDING).to_list()

    async def survey_import(self, network_id: str, sha256: str) -> Document | None:
        return await self._survey_imports.find_one({"_id": f"{network_id}:{sha256}"})

    async def record_survey_import(
        self,
        network_id: str,
        sha256: str,
        survey_id: str,
        at: datetime,
        answer: Document,
        session: Session,
    ) -> None:
        """The import of a file into a network, with its answer; a second import of the same
        file fails with DuplicateKeyError."""
        doc = {
            "_id": f"{network_id}:{sha256}",
            "survey_id": survey_id,
            "network_id": network_id,
            "sha256": sha256,
            "imported_at": at,
            "answer": answer,
        }
        await self._survey_imports.insert_one(doc, session=session)

    # -- links between networks -----------------------------------------------------------------

    async def network_link(
        self, link_id: str, session: Session | None = None
    ) -> NetworkLink | None:
        found = await self._links.find_one({"_id": link_id}, session=session)
        return None if found is None else NetworkLink(**found)

    async def network_links(self, network_id: str) -> list[NetworkLink]:
        """Every link of the network, either way, newest proposal first."""
        query = {"$or": [{"proposer_network_id": network_id}, {"recipient_network_id": network_id}]}
        cursor = self._links.find(query).sort([("proposed_at", -1), ("_id", ASCENDING)])
        return [NetworkLink(**doc) async for doc in cursor]

    async def open_link_of_pair(self, pair: str, session: Session) -> str | None:
        found = await self._link_pairs.find_one({"_id": pair}, session=session)
        return None if found is None else found.get("open_link_id")

    async def save_network_link(
        self, link: NetworkLink, pair: str, is_open: bool, session: Session
    ) -> None:
        """Inserts or replaces the link (at its previous version) and records whether the pair
        has an open link. Two concurrent writes for one pair both write the pair's document,
        so one of them collides (a write conflict, retried) and then sees the other's link."""
        doc = {"_id": link.link_id, **link.model_dump()}
        if link.version == 1:
            await self._links.insert_one(doc, session=session)
        else:
            result = await self._links.replace_one(
                {"_id": link.link_id, "version": link.version - 1}, doc, session=session
            )
            if result.matched_count != 1:
                raise AppError(ErrorCode.CONFLICT, "the link changed meanwhile", field="linkId")
        await self._link_pairs.update_one(
            {"_id": pair},
            {"$set": {"open_link_id": link.link_id if is_open else None}},
            upsert=True,
            session=session,
        )


class StaleWrite(Exception):
    """A version-checked write found a newer version: retry with fresh data."""
