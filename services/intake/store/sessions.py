"""The collections of signing in to /app: `sign_in_links` (one-time nonces, stored hashed)
and the session tokens kept beside every other token in `tokens` (marked `kind: "session"`,
with `expires_at`). In a module of its own so the sign-in path stays apart from the profile
store; the only place these queries live."""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, IndexModel, ReturnDocument

from services.intake.tokens import token_hash
from shared.contracts import operator_member_id
from shared.mongo import Database, Document, IndexSpec, Session

SESSION = "session"
INDEXES: IndexSpec = {
    # a link is removed a day after it expired, used or not
    "sign_in_links": [IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=86_400)],
}


class SessionStore:
    def __init__(self, db: Database) -> None:
        self._links = db["sign_in_links"]
        self._tokens = db["tokens"]
        self._members = db["members"]
        self._networks = db["networks"]

    async def memberships(self, email: str) -> list[Document]:
        """Every member with this email (one per network at most) and every network whose
        operator it is, as `{member_id, network_id, organization_id, role, name}`."""
        email = email.lower()
        found = [
            {
                "member_id": m["_id"],
                "network_id": m["network_id"],
                "organization_id": m["organization_id"],
                "role": m["role"],
                "name": m.get("name", ""),
            }
            async for m in self._members.find({"email": email})
        ]
        return found + [
            {
                "member_id": operator_member_id(n["_id"]),
                "network_id": n["_id"],
                "organization_id": None,
                "role": "OPERATOR",
                "name": "",
            }
            async for n in self._networks.find({"operator_email": email})
        ]

    async def network_names(self, ids: list[str]) -> dict[str, str]:
        return {n["_id"]: n["name"] async for n in self._networks.find({"_id": {"$in": ids}})}

    async def add_link(
        self, nonce: str, holder: Document, expires_at: datetime, s: Session
    ) -> None:
        doc = {"_id": token_hash(nonce), **holder, "expires_at": expires_at, "used_at": None}
        await self._links.insert_one(doc, session=s)

    async def use_link(self, nonce: str, now: datetime, s: Session) -> Document | None:
        """The link's holder, marked used in the same step (a second use finds nothing)."""
        return await self._links.find_one_and_update(
            {"_id": token_hash(nonce), "used_at": None, "expires_at": {"$gt": now}},
            {"$set": {"used_at": now}},
            return_document=ReturnDocument.AFTER,
            session=s,
        )

    async def member_exists(self, member_id: str, s: Session) -> bool:
        return await self._members.find_one({"_id": member_id}, {"_id": 1}, session=s) is not None

    async def add_session(
        self, token: str, holder: Document, expires_at: datetime, s: Session
    ) -> None:
        doc = {
            "_id": token_hash(token),
            "role": holder["role"],
            "network_id": holder["network_id"],
            "member_id": holder["member_id"],
            "organization_id": holder.get("organization_id"),
            "revoked": False,
            "kind": SESSION,
            "expires_at": expires_at,
        }
        await self._tokens.insert_one(doc, session=s)

    async def session(self, token: str) -> Document | None:
        return await self._tokens.find_one(
            {"_id": token_hash(token), "kind": SESSION, "revoked": False}
        )

    async def end_sessions(self, query: Document) -> int:
        """Revokes the session tokens matching `query` (never an API token)."""
        result = await self._tokens.update_many(
            {**query, "kind": SESSION, "revoked": False}, {"$set": {"revoked": True}}
        )
        return result.modified_count
