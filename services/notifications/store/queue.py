"""The queue of deliveries the event handlers write in their transaction and the delivery
worker drains: single emails (`next_at` ahead when held for quiet hours), webhook posts, and
daily digests (one delivery per member and local day) with their items."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, IndexModel

from shared.mongo import Database, Document, IndexSpec, Session

QUEUE_INDEXES: IndexSpec = {
    "deliveries": [IndexModel([("status", ASCENDING), ("next_at", ASCENDING)])],
    "digest_items": [IndexModel([("member_id", ASCENDING), ("sent", ASCENDING)])],
}


class DeliveryQueue:
    def __init__(self, db: Database) -> None:
        self._deliveries = db["deliveries"]
        self._digest_items = db["digest_items"]

    async def enqueue(self, delivery: Document, session: Session) -> None:
        await self._deliveries.insert_one(delivery, session=session)

    async def ensure_digest(self, delivery: Document, session: Session) -> None:
        """One digest delivery per member and local day (its id says which): the first item
        of the day creates it, later ones find it."""
        await self._deliveries.update_one(
            {"_id": delivery["_id"]}, {"$setOnInsert": delivery}, upsert=True, session=session
        )

    async def add_digest_item(self, item: Document, session: Session) -> None:
        await self._digest_items.insert_one(item, session=session)

    async def unsent_digest_items(self, member_id: str, now: datetime) -> list[Document]:
        """Every item not yet sent, so one that arrived while its day's digest was being sent
        goes out with the next one."""
        cursor = self._digest_items.find(
            {"member_id": member_id, "sent": False, "created_at": {"$lte": now}}
        )
        return await cursor.sort("created_at", ASCENDING).to_list()

    async def mark_digest_items_sent(self, ids: list[str], digest_id: str) -> None:
        await self._digest_items.update_many(
            {"_id": {"$in": ids}}, {"$set": {"sent": True, "digest_id": digest_id}}
        )

    async def due_deliveries(self, now: datetime, limit: int = 50) -> list[Document]:
        cursor = self._deliveries.find(
            {
                "$or": [
                    {"status": "pending", "next_at": {"$lte": now}},
                    # a claim whose worker died before it finished
                    {"status": "sending", "lease_until": {"$lte": now}},
                ]
            }
        )
        return await cursor.sort("next_at", ASCENDING).limit(limit).to_list()

    async def claim(self, delivery: Document, now: datetime, lease: timedelta) -> bool:
        """Takes a due delivery for one worker (a replica, or a test's tick, may race the
        background loop): only the caller whose update matched may send it."""
        fields = ("_id", "status", "next_at", "lease_until")
        # compare-and-set on what was seen
        seen: dict[str, Any] = {k: delivery.get(k) for k in fields}
        result = await self._deliveries.update_one(
            seen, {"$set": {"status": "sending", "lease_until": now + lease}}
        )
        return result.matched_count == 1

    async def mark_delivery(self, delivery_id: str, update: dict[str, Any]) -> None:
        await self._deliveries.update_one({"_id": delivery_id}, {"$set": update})
