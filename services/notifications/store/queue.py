"""The delivery queue: single emails (`next_at` ahead when held for quiet hours), webhook
posts, and daily digests (one delivery per member and local day) with their items. The
documents are built here (the fake queue builds them with these functions too)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, IndexModel

from services.notifications.domain.templates import Message
from services.notifications.service.unit_of_work import DeliveryRepository, DigestEntry
from shared.mongo import Collection, Document, IndexSpec
from shared.unit_of_work import Repository

QUEUE_INDEXES: IndexSpec = {
    "deliveries": [IndexModel([("status", ASCENDING), ("next_at", ASCENDING)])],
    "digest_items": [IndexModel([("member_id", ASCENDING), ("sent", ASCENDING)])],
}


def pending(delivery_id: str, channel: str, send_at: datetime, **fields: Any) -> Document:
    return {
        "_id": delivery_id,
        "channel": channel,
        **fields,
        "status": "pending",
        "attempts": 0,
        "next_at": send_at,
    }


def email_doc(
    delivery_id: str, to: str, message: Message, send_at: datetime, held: bool
) -> Document:
    fields = {"to": to, "subject": message.title, "body": message.body}
    return {**pending(delivery_id, "email", send_at, **fields), "held": held}


def webhook_post_doc(delivery_id: str, webhook_id: str, body: str, send_at: datetime) -> Document:
    return pending(delivery_id, "webhook", send_at, webhook_id=webhook_id, body=body)


def digest_doc(digest: DigestEntry) -> Document:
    fields = {"member_id": digest.member_id, "to": digest.to}
    return pending(digest.digest_id, "digest", digest.send_at, **fields)


def digest_item_doc(
    item_id: str, member_id: str, message: Message, kind: str, at: datetime
) -> Document:
    return {
        "_id": item_id,
        "member_id": member_id,
        "kind": kind,
        "title": message.title,
        "body": message.body,
        "created_at": at,
        "sent": False,
    }


def due_query(now: datetime) -> Document:
    return {
        "$or": [
            {"status": "pending", "next_at": {"$lte": now}},
            # a claim whose worker died before it finished
            {"status": "sending", "lease_until": {"$lte": now}},
        ]
    }


CLAIM_FIELDS = ("_id", "status", "next_at", "lease_until")


class MongoDeliveries(Repository, DeliveryRepository):
    @property
    def _deliveries(self) -> Collection:
        return self._db["deliveries"]

    @property
    def _digest_items(self) -> Collection:
        return self._db["digest_items"]

    async def add_email(
        self, delivery_id: str, to: str, message: Message, send_at: datetime, held: bool = False
    ) -> None:
        doc = email_doc(delivery_id, to, message, send_at, held)
        await self._deliveries.insert_one(doc, session=self._writing)

    async def add_webhook_post(
        self, delivery_id: str, webhook_id: str, body: str, send_at: datetime
    ) -> None:
        doc = webhook_post_doc(delivery_id, webhook_id, body, send_at)
        await self._deliveries.insert_one(doc, session=self._writing)

    async def add_to_digest(
        self, digest: DigestEntry, item_id: str, message: Message, kind: str, at: datetime
    ) -> None:
        item = digest_item_doc(item_id, digest.member_id, message, kind, at)
        await self._digest_items.insert_one(item, session=self._writing)
        await self._deliveries.update_one(
            {"_id": digest.digest_id},
            {"$setOnInsert": digest_doc(digest)},
            upsert=True,
            session=self._writing,
        )

    async def unsent_digest_items(self, member_id: str, now: datetime) -> list[Document]:
        cursor = self._digest_items.find(
            {"member_id": member_id, "sent": False, "created_at": {"$lte": now}},
            session=self._session,
        )
        found: list[Document] = await cursor.sort("created_at", ASCENDING).to_list()
        return found

    async def mark_digest_items_sent(self, ids: list[str], digest_id: str) -> None:
        await self._digest_items.update_many(
            {"_id": {"$in": ids}},
            {"$set": {"sent": True, "digest_id": digest_id}},
            session=self._writing,
        )

    async def due(self, now: datetime, limit: int = 50) -> list[Document]:
        cursor = self._deliveries.find(due_query(now), session=self._session)
        found: list[Document] = await cursor.sort("next_at", ASCENDING).limit(limit).to_list()
        return found

    async def claim(self, delivery: Document, now: datetime, lease: timedelta) -> bool:
        # compare-and-set on what was seen
        seen: dict[str, Any] = {k: delivery.get(k) for k in CLAIM_FIELDS}
        result = await self._deliveries.update_one(
            seen,
            {"$set": {"status": "sending", "lease_until": now + lease}},
            session=self._writing,
        )
        return result.matched_count == 1

    async def set(self, delivery_id: str, changes: dict[str, Any]) -> None:
        await self._deliveries.update_one(
            {"_id": delivery_id}, {"$set": changes}, session=self._writing
        )
