"""Recipients (from intake events; a partnership event names its organizations itself), the
in-app inbox and webhooks (the delivery queue is in `queue`, preferences in `preferences`)."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument

from services.notifications.domain.templates import Audience, webhook_disabled
from shared.contracts import MemberRef
from shared.errors import not_found
from shared.events import utcnow
from shared.i18n import Catalogs
from shared.idempotency import IDEMPOTENCY_INDEXES
from shared.mongo import Database, Document, IndexSpec, Session
from shared.sortable_id import sortable_id

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
    "webhooks": [IndexModel([("network_id", ASCENDING)])],
    "webhook_log": [IndexModel([("webhook_id", ASCENDING), ("at", DESCENDING)])],
    **IDEMPOTENCY_INDEXES,
}


class NotificationStore:
    def __init__(self, db: Database) -> None:
        self._recipients = db["recipients"]
        self._inbox = db["inbox"]
        self._webhooks = db["webhooks"]
        self._webhook_log = db["webhook_log"]
        self._preferences = db["preferences"]  # read only: an owner's language

    async def remove_recipient(self, member_id: str, session: Session) -> None:
        await self._recipients.delete_one({"_id": member_id}, session=session)

    async def save_recipient(
        self,
        member: MemberRef,
        network_id: str,
        organization_id: str,
        session: Session,
        time_zone: str | None = None,
    ) -> None:
        """`time_zone`: the organization's; a member who joins later takes a colleague's."""
        if time_zone is None:
            colleague = await self._recipients.find_one(
                {"organization_id": organization_id, "time_zone": {"$ne": None}}, session=session
            )
            time_zone = colleague["time_zone"] if colleague else None
        await self._recipients.update_one(
            {"_id": member.member_id},
            {
                "$set": {
                    **member.model_dump(),
                    "network_id": network_id,
                    "organization_id": organization_id,
                    "time_zone": time_zone,
                }
            },
            upsert=True,
            session=session,
        )

    async def audience(self, audience: Audience, session: Session) -> list[Document]:
        query = {
            "network_id": {"$in": audience.networks},
            "$or": [
                {"organization_id": {"$in": audience.organization_ids}},
                {"_id": {"$in": audience.member_ids}},
            ],
        }
        return await self._recipients.find(query, session=session).to_list()

    async def add_to_inbox(self, items: list[Document], session: Session) -> None:
        """Every recipient's row of one event in one write."""
        if items:
            await self._inbox.insert_many(items, ordered=True, session=session)

    async def list_inbox(
        self, member_id: str, unread_only: bool, limit: int, before: str | None
    ) -> list[Document]:
        query: dict[str, Any] = {"member_id": member_id}
        if unread_only:
            query["read"] = False
        if before:
            query["_id"] = {"$lt": before}
        cursor = self._inbox.find(query).sort("_id", DESCENDING).limit(limit)
        return await cursor.to_list()

    async def unread_count(self, member_id: str) -> int:
        return await self._inbox.count_documents({"member_id": member_id, "read": False})

    async def mark_read(self, member_id: str, ids: list[str]) -> int:
        """All or nothing: an id that is not the member's answers NOT_FOUND, as a missing one
        does, and nothing is marked."""
        owned = await self._inbox.find(
            {"member_id": member_id, "_id": {"$in": ids}}, {"_id": 1}
        ).to_list()
        missing = set(ids) - {item["_id"] for item in owned}
        if missing:
            raise not_found("notification", sorted(missing)[0])
        result = await self._inbox.update_many(
            {"member_id": member_id, "_id": {"$in": ids}, "read": False}, {"$set": {"read": True}}
        )
        return result.modified_count

    async def webhooks_for(self, audience: Audience, kind: str, session: Session) -> list[Document]:
        query = {
            "network_id": {"$in": audience.networks},
            "disabled": False,
            "organization_id": {"$in": [None, *audience.organization_ids]},
            "$or": [{"event_types": []}, {"event_types": kind}],
        }
        return await self._webhooks.find(query, session=session).to_list()

    async def add_webhook(self, webhook: Document, session: Session) -> None:
        await self._webhooks.insert_one(webhook, session=session)

    async def webhook(self, webhook_id: str) -> Document | None:
        return await self._webhooks.find_one({"_id": webhook_id})

    async def log_webhook_attempt(
        self, webhook_id: str, delivery_id: str, status: int | None, error: str | None
    ) -> None:
        await self._webhook_log.insert_one(
            {
                "webhook_id": webhook_id,
                "delivery_id": delivery_id,
                "at": utcnow(),
                "status_code": status,
                "error": error,
                "ok": error is None,
            }
        )

    async def trim_webhook_log(self, webhook_id: str, keep: int) -> None:
        """Only the `keep` newest attempts of a webhook stay in its delivery log."""
        newest = self._webhook_log.find({"webhook_id": webhook_id}, {"_id": 1})
        newest = newest.sort([("at", DESCENDING), ("_id", DESCENDING)]).limit(keep)
        kept = [entry["_id"] for entry in await newest.to_list()]
        if len(kept) == keep:  # attempts in the same millisecond: ids break the tie
            await self._webhook_log.delete_many({"webhook_id": webhook_id, "_id": {"$nin": kept}})

    async def webhook_succeeded(self, webhook_id: str) -> None:
        await self._webhooks.update_one({"_id": webhook_id}, {"$set": {"failures": 0}})

    async def webhook_failed(self, webhook_id: str) -> int:
        updated = await self._webhooks.find_one_and_update(
            {"_id": webhook_id}, {"$inc": {"failures": 1}}, return_document=ReturnDocument.AFTER
        )
        return int(updated["failures"]) if updated else 0

    async def disable_webhook(self, webhook: Document, reason: str) -> None:
        """Disables it and tells the members of the organization that registered it."""
        await self._webhooks.update_one(
            {"_id": webhook["_id"]}, {"$set": {"disabled": True, "disabled_reason": reason}}
        )
        owners = await self._recipients.find(
            {"organization_id": webhook.get("organization_id"), "network_id": webhook["network_id"]}
        ).to_list()
        message = webhook_disabled(webhook["url"], reason)
        chosen = {  # each owner reads it in their language
            doc["_id"]: doc["preferences"].get("language")
            for doc in await self._preferences.find(
                {"_id": {"$in": [o["_id"] for o in owners]}}
            ).to_list()
        }
        for owner in owners:
            drawn = message.drawn(Catalogs.load().get(chosen.get(owner["_id"])))
            await self._inbox.update_one(
                {
                    "event_id": f"webhook-disabled:{webhook['_id']}",
                    "member_id": owner["_id"],
                    "channel": "inbox",
                },
                {
                    "$setOnInsert": {
                        "_id": sortable_id(),
                        "network_id": webhook["network_id"],
                        "kind": "webhook.disabled",
                        "title": drawn.title,
                        "body": drawn.body,
                        "subject_id": webhook["_id"],
                        "read": False,
                        "created_at": utcnow(),
                    }
                },
                upsert=True,
            )

    async def webhook_deliveries(self, webhook_id: str, limit: int) -> list[Document]:
        cursor = self._webhook_log.find({"webhook_id": webhook_id}).sort("at", DESCENDING)
        return await cursor.limit(limit).to_list()
