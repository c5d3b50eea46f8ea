"""Organizations and their members (with their tokens, stored hashed)."""

from __future__ import annotations

import re
from typing import Any

from pymongo import ASCENDING, UpdateOne

from services.intake.domain.profiles import normalized_name
from services.intake.service.unit_of_work import (
    MemberRepository,
    OrganizationRepository,
    StaleWrite,
)
from services.intake.tokens import token_hash
from shared.contracts import MemberRef, OrganizationProfile
from shared.errors import AppError, ErrorCode
from shared.mongo import Collection, Document
from shared.unit_of_work import Repository


def organization_doc(profile: OrganizationProfile, **extra: Any) -> Document:
    return {
        "_id": profile.organization_id,
        **profile.model_dump(),
        "normalized_name": normalized_name(profile.name),
        **extra,
    }


def member_doc(member: MemberRef, network_id: str, organization_id: str) -> Document:
    return {
        "_id": member.member_id,
        "network_id": network_id,
        "organization_id": organization_id,
        **member.model_dump(),
    }


def token_doc(
    token: str, role: str, network_id: str, member_id: str, organization_id: str | None
) -> Document:
    """A bearer token, stored hashed."""
    return {
        "_id": token_hash(token),
        "role": role,
        "network_id": network_id,
        "member_id": member_id,
        "organization_id": organization_id,
        "revoked": False,
    }


class MongoOrganizations(Repository, OrganizationRepository):
    @property
    def _organizations(self) -> Collection:
        return self._db["organizations"]

    async def get(self, organization_id: str) -> Document | None:
        return await self._organizations.find_one({"_id": organization_id}, session=self._session)

    async def by_ids(self, ids: list[str]) -> list[Document]:
        found: list[Document] = await self._organizations.find(
            {"_id": {"$in": ids}}, session=self._session
        ).to_list()
        return found

    async def named(
        self, network_id: str, normalized: str, other_than: str | None = None
    ) -> Document | None:
        query: Document = {"network_id": network_id, "normalized_name": normalized}
        if other_than is not None:
            query["_id"] = {"$ne": other_than}
        return await self._organizations.find_one(query, session=self._session)

    async def add(self, profile: OrganizationProfile, normalized: str) -> None:
        doc = {**organization_doc(profile), "normalized_name": normalized}
        await self._organizations.insert_one(doc, session=self._writing)

    async def add_imported(self, created: list[tuple[OrganizationProfile, str]]) -> None:
        if created:
            docs = [organization_doc(p, hsds_id=hsds_id) for p, hsds_id in created]
            await self._organizations.insert_many(docs, ordered=True, session=self._writing)

    async def update(self, organization_id: str, version: int, changes: dict[str, Any]) -> None:
        result = await self._organizations.update_one(
            {"_id": organization_id, "version": version}, {"$set": changes}, session=self._writing
        )
        if result.matched_count != 1:
            raise AppError(
                ErrorCode.CONFLICT, "the organization changed meanwhile; read it and retry"
            )

    async def replace_many(self, updated: list[tuple[OrganizationProfile, int]]) -> None:
        if not updated:
            return
        ops = [
            UpdateOne(
                {"_id": p.organization_id, "version": version},
                {"$set": {**p.model_dump(), "normalized_name": normalized_name(p.name)}},
            )
            for p, version in updated
        ]
        result = await self._organizations.bulk_write(ops, ordered=True, session=self._writing)
        if result.matched_count != len(updated):
            raise StaleWrite("an organization changed while the directory was imported")

    async def page(
        self,
        network_id: str,
        *,
        focus_code: str | None,
        free_tag: str | None,
        resource_kind: str | None,
        search: str | None,
        first: int,
        after: str | None,
    ) -> list[Document]:
        query: dict[str, Any] = {"network_id": network_id, "archived": {"$ne": True}}
        if focus_code:
            query["focus_areas"] = focus_code
        if free_tag:
            query["free_tags"] = free_tag
        if resource_kind:
            query["offers.kind"] = resource_kind
        if search:
            pattern = {"$regex": re.escape(search), "$options": "i"}
            query["$or"] = [{"name": pattern}, {"mission": pattern}]
        if after:
            query["_id"] = {"$gt": after}
        cursor = self._organizations.find(query, session=self._session)
        found: list[Document] = await cursor.sort("_id", ASCENDING).limit(first + 1).to_list()
        return found

    async def of_network(self, network_id: str, *, with_archived: bool = False) -> list[Document]:
        query: dict[str, Any] = {"network_id": network_id}
        if not with_archived:
            query["archived"] = {"$ne": True}
        cursor = self._organizations.find(query, session=self._session)
        found: list[Document] = await cursor.sort("_id", ASCENDING).to_list()
        return found


class MongoMembers(Repository, MemberRepository):
    async def get(self, member_id: str) -> Document | None:
        return await self._db["members"].find_one({"_id": member_id}, session=self._session)

    async def by_email(self, network_id: str, email: str) -> Document | None:
        query = {"network_id": network_id, "email": email.lower()}
        return await self._db["members"].find_one(query, session=self._session)

    async def add(
        self, member: MemberRef, network_id: str, organization_id: str, token: str | None
    ) -> None:
        doc = member_doc(member, network_id, organization_id)
        await self._db["members"].insert_one(doc, session=self._writing)
        if token is not None:
            await self.add_token(token, member.role, network_id, member.member_id, organization_id)

    async def add_imported(self, members: list[tuple[MemberRef, str, str]]) -> None:
        docs = [member_doc(m, n, o) for m, n, o in members]
        if docs:
            await self._db["members"].insert_many(docs, ordered=True, session=self._writing)

    async def add_token(
        self, token: str, role: str, network_id: str, member_id: str, organization_id: str | None
    ) -> None:
        doc = token_doc(token, role, network_id, member_id, organization_id)
        await self._db["tokens"].insert_one(doc, session=self._writing)

    async def token_holder(self, hashed: str) -> Document | None:
        query = {"_id": hashed, "revoked": False}
        return await self._db["tokens"].find_one(query, session=self._session)

    async def admins_in(self, organization_id: str) -> int:
        query = {"organization_id": organization_id, "role": "ORG_ADMIN"}
        return await self._db["members"].count_documents(query, session=self._session)

    async def of_organization(self, organization_id: str) -> list[Document]:
        cursor = self._db["members"].find(
            {"organization_id": organization_id}, session=self._session
        )
        found: list[Document] = await cursor.sort("name", ASCENDING).to_list()
        return found

    async def remove(self, member: Document) -> None:
        session = self._writing
        await self._db["members"].delete_one({"_id": member["_id"]}, session=session)
        revoke = {"$set": {"revoked": True}}
        await self._db["tokens"].update_many({"member_id": member["_id"]}, revoke, session=session)
        touch = {"$inc": {"member_writes": 1}}
        await self._db["organizations"].update_one(
            {"_id": member["organization_id"]}, touch, session=session
        )
