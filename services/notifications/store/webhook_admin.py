"""The webhook lifecycle's storage: listing an owner's webhooks with their latest attempt,
deleting, re-enabling, rotating the secret (the previous one kept until its overlap ends).
The same collections as `NotificationStore` (`webhooks`, `webhook_log`), kept apart so the
lifecycle stays one small module."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import DESCENDING, ReturnDocument

from shared.mongo import Database, Document, Session

PREVIOUS_SECRETS_KEPT = 5  # rotations in a row within one overlap: the oldest drop out


class WebhookAdminStore:
    def __init__(self, db: Database) -> None:
        self._webhooks = db["webhooks"]
        self._log = db["webhook_log"]

    async def webhooks(self, network_id: str, organization_id: str | None) -> list[Document]:
        """The network's webhooks, or one organization's, oldest first."""
        query: dict[str, Any] = {"network_id": network_id}
        if organization_id is not None:
            query["organization_id"] = organization_id
        return await self._webhooks.find(query).sort("created_at", 1).to_list()

    async def last_attempts(self, webhook_ids: list[str]) -> dict[str, Document]:
        """The newest attempt of each webhook that has one."""
        pipeline: list[dict[str, Any]] = [
            {"$match": {"webhook_id": {"$in": webhook_ids}}},
            {"$sort": {"at": DESCENDING}},
            {"$group": {"_id": "$webhook_id", "last": {"$first": "$$ROOT"}}},
        ]
        cursor = await self._log.aggregate(pipeline)
        return {row["_id"]: row["last"] async for row in cursor}

    async def delete(self, webhook_id: str, session: Session) -> None:
        """The webhook and its log; its queued deliveries are skipped by the worker."""
        await self._webhooks.delete_one({"_id": webhook_id}, session=session)
        await self._log.delete_many({"webhook_id": webhook_id}, session=session)

    async def enable(self, webhook_id: str, at: datetime, session: Session) -> Document | None:
        return await self._webhooks.find_one_and_update(
            {"_id": webhook_id},
            {
                "$set": {"disabled": False, "failures": 0, "enabled_at": at},
                "$unset": {"disabled_reason": ""},
            },
            return_document=ReturnDocument.AFTER,
            session=session,
        )

    async def rotate(
        self, webhook: Document, secret: str, now: datetime, until: datetime, session: Session
    ) -> Document | None:
        """The new secret signs from now; the current one goes on signing beside it until
        `until` (the overlap), and older ones still signing stop by then too: a rotation
        with no overlap leaves the new secret alone. None when the webhook is gone or
        another rotation came first."""
        previous = [
            {"secret": p["secret"], "until": min(p["until"], until)}
            for p in webhook.get("previous_secrets", [])
            if p["until"] > now
        ]
        previous.append({"secret": webhook["secret"], "until": until})
        return await self._webhooks.find_one_and_update(
            {"_id": webhook["_id"], "secret": webhook["secret"]},
            {
                "$set": {
                    "secret": secret,
                    "previous_secrets": previous[-PREVIOUS_SECRETS_KEPT:],
                    "secret_rotated_at": now,
                }
            },
            return_document=ReturnDocument.AFTER,
            session=session,
        )
