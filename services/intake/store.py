"""Intake's MongoDB collections and the queries on them."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, IndexModel

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
}


class IntakeStore:
    def __init__(self, db: Database) -> None:
        self.networks = db["networks"]
        self.organizations = db["organizations"]
        self.members = db["members"]
        self.tokens = db["tokens"]

    async def network(self, network_id: str) -> Document | None:
        return await self.networks.find_one({"_id": network_id})

    async def token(self, hashed: str) -> Document | None:
        return await self.tokens.find_one({"_id": hashed, "revoked": False})

    async def organization(self, organization_id: str) -> Document | None:
        return await self.organizations.find_one({"_id": organization_id})

    async def member(self, member_id: str) -> Document | None:
        return await self.members.find_one({"_id": member_id})

    async def find_duplicate_organization(
        self, network_id: str, normalized: str, admin_email: str
    ) -> Document | None:
        by_name = await self.organizations.find_one(
            {"network_id": network_id, "normalized_name": normalized}
        )
        if by_name:
            return by_name
        member = await self.members.find_one(
            {"network_id": network_id, "email": admin_email.lower(), "role": "ORG_ADMIN"}
        )
        if member:
            return await self.organizations.find_one({"_id": member["organization_id"]})
        return None

    async def insert(self, collection: str, doc: dict[str, Any], session: Session) -> None:
        await getattr(self, collection).insert_one(doc, session=session)
