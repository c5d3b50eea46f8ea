"""Notifications' collections: recipients (from intake events) and the in-app inbox."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel

from shared.contracts import MemberRef
from shared.mongo import Database, Document, IndexSpec, Session

INDEXES: IndexSpec = {
    "recipients": [IndexModel([("organization_id", ASCENDING)])],
    "inbox": [
        # exactly one notification per event, recipient and channel
        IndexModel(
            [("event_id", ASCENDING), ("member_id", ASCENDING), ("channel", ASCENDING)],
            unique=True,
        ),
        IndexModel([("member_id", ASCENDING), ("created_at", DESCENDING)]),
    ],
}


class NotificationStore:
    def __init__(self, db: Database) -> None:
        self.recipients = db["recipients"]
        self.inbox = db["inbox"]

    async def save_recipient(
        self, member: MemberRef, network_id: str, organization_id: str, session: Session
    ) -> None:
        await self.recipients.update_one(
            {"_id": member.member_id},
            {
                "$set": {
                    **member.model_dump(),
                    "network_id": network_id,
                    "organization_id": organization_id,
                }
            },
            upsert=True,
            session=session,
        )

    async def add_to_inbox(self, item: Document, session: Session) -> None:
        await self.inbox.insert_one(item, session=session)

    async def list_inbox(
        self, member_id: str, unread_only: bool, limit: int, before: str | None
    ) -> list[Document]:
        query: dict[str, Any] = {"member_id": member_id}
        if unread_only:
            query["read"] = False
        if before:
            query["_id"] = {"$lt": before}
        cursor = self.inbox.find(query).sort("_id", DESCENDING).limit(limit)
        return await cursor.to_list()

    async def unread_count(self, member_id: str) -> int:
        return await self.inbox.count_documents({"member_id": member_id, "read": False})
