"""The collections of signing in to /app: `sign_in_links` (one-time nonces, stored hashed)
and the session tokens kept beside every other token in `tokens` (marked `kind: "session"`,
with `expires_at`). In a module of its own so the sign-in path stays apart from the profile
store; the only place these queries live, and the documents are built here (the fake
repository builds them with these functions too)."""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, IndexModel, ReturnDocument

from services.intake.service.unit_of_work import SessionRepository
from services.intake.tokens import token_hash
from shared.contracts import operator_member_id
from shared.mongo import Document, IndexSpec
from shared.unit_of_work import Repository

SESSION = "session"
INDEXES: IndexSpec = {
    # a link is removed a day after it expired, used or not
    "sign_in_links": [IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=86_400)],
}


def membership(member: Document) -> Document:
    return {
        "member_id": member["_id"],
        "network_id": member["network_id"],
        "organization_id": member["organization_id"],
        "role": member["role"],
        "name": member.get("name", ""),
    }


def operatorship(network: Document) -> Document:
    return {
        "member_id": operator_member_id(network["_id"]),
        "network_id": network["_id"],
        "organization_id": None,
        "role": "OPERATOR",
        "name": "",
    }


def link_doc(nonce: str, holder: Document, expires_at: datetime) -> Document:
    return {"_id": token_hash(nonce), **holder, "expires_at": expires_at, "used_at": None}


def session_doc(token: str, holder: Document, expires_at: datetime) -> Document:
    return {
        "_id": token_hash(token),
        "role": holder["role"],
        "network_id": holder["network_id"],
        "member_id": holder["member_id"],
        "organization_id": holder.get("organization_id"),
        "revoked": False,
        "kind": SESSION,
        "expires_at": expires_at,
    }


class MongoSessions(Repository, SessionRepository):
    async def memberships(self, email: str) -> list[Document]:
        email = email.lower()
        members = self._db["members"].find({"email": email}, session=self._session)
        networks = self._db["networks"].find({"operator_email": email}, session=self._session)
        return [membership(m) async for m in members] + [operatorship(n) async for n in networks]

    async def network_names(self, ids: list[str]) -> dict[str, str]:
        cursor = self._db["networks"].find({"_id": {"$in": ids}}, session=self._session)
        return {n["_id"]: n["name"] async for n in cursor}

    async def add_link(self, nonce: str, holder: Document, expires_at: datetime) -> None:
        doc = link_doc(nonce, holder, expires_at)
        await self._db["sign_in_links"].insert_one(doc, session=self._writing)

    async def use_link(self, nonce: str, now: datetime) -> Document | None:
        return await self._db["sign_in_links"].find_one_and_update(
            {"_id": token_hash(nonce), "used_at": None, "expires_at": {"$gt": now}},
            {"$set": {"used_at": now}},
            return_document=ReturnDocument.AFTER,
            session=self._writing,
        )

    async def add_session(self, token: str, holder: Document, expires_at: datetime) -> None:
        doc = session_doc(token, holder, expires_at)
        await self._db["tokens"].insert_one(doc, session=self._writing)

    async def session(self, token: str) -> Document | None:
        return await self._db["tokens"].find_one(
            {"_id": token_hash(token), "kind": SESSION, "revoked": False}, session=self._session
        )

    async def end(self, member_id: str, session_id: str | None = None) -> int:
        query: Document = {"member_id": member_id, "kind": SESSION, "revoked": False}
        if session_id is not None:
            query["_id"] = session_id
        result = await self._db["tokens"].update_many(
            query, {"$set": {"revoked": True}}, session=self._writing
        )
        return result.modified_count
