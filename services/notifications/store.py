"""Notifications' collections: recipients (from intake events), the in-app inbox, and the
queue of email deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel

from services.notifications.templates import Audience
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
    "deliveries": [IndexModel([("status", ASCENDING), ("next_at", ASCENDING)])],
}


class NotificationStore:
    def __init__(self, db: Database) -> None:
        self.recipients = db["recipients"]
        self.inbox = db["inbox"]
        self.deliveries = db["deliveries"]

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

    async def audience(self, audience: Audience, session: Session) -> list[Document]:
        query = {
            "network_id": audience.network_id,
            "$or": [
                {"organization_id": {"$in": audience.organization_ids}},
                {"_id": {"$in": audience.member_ids}},
            ],
        }
        return await self.recipients.find(query, session=session).to_list()

    async def add_to_inbox(self, item: Document, session: Session) -> None:
        await self.inbox.insert_one(item, session=session)

    async def enqueue(self, delivery: Document, session: Session) -> None:
        await self.deliveries.insert_one(delivery, session=session)

    async def due_deliveries(self, now: datetime, limit: int = 50) -> list[Document]:
        cursor = self.deliveries.find({"status": "pending", "next_at": {"$lte": now}})
        return await cursor.sort("next_at", ASCENDING).limit(limit).to_list()

    async def mark_delivery(self, delivery_id: str, update: dict[str, Any]) -> None:
        await self.deliveries.update_one({"_id": delivery_id}, {"$set": update})

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

    async def mark_read(self, member_id: str, ids: list[str]) -> int:
        result = await self.inbox.update_many(
            {"member_id": member_id, "_id": {"$in": ids}, "read": False}, {"$set": {"read": True}}
        )
        return result.modified_count
