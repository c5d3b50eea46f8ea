"""Webhooks and their delivery log (`webhook_log`, each webhook's latest attempts)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import DESCENDING, ReturnDocument

from services.notifications.domain.templates import Audience
from services.notifications.service.unit_of_work import AttemptRepository, WebhookRepository
from shared.mongo import Collection, Document
from shared.unit_of_work import Repository


def owner_query(network_id: str, organization_id: str | None) -> Document:
    query: dict[str, Any] = {"network_id": network_id}
    if organization_id is not None:
        query["organization_id"] = organization_id
    return query


def hearing_query(audience: Audience, kind: str) -> Document:
    return {
        "network_id": {"$in": audience.networks},
        "disabled": False,
        "organization_id": {"$in": [None, *audience.organization_ids]},
        "$or": [{"event_types": []}, {"event_types": kind}],
    }


def attempt_doc(
    webhook_id: str, delivery_id: str, status: int | None, error: str | None, at: datetime
) -> Document:
    return {
        "webhook_id": webhook_id,
        "delivery_id": delivery_id,
        "at": at,
        "status_code": status,
        "error": error,
        "ok": error is None,
    }


class MongoWebhooks(Repository, WebhookRepository):
    @property
    def _webhooks(self) -> Collection:
        return self._db["webhooks"]

    async def add(self, webhook: Document) -> None:
        await self._webhooks.insert_one(webhook, session=self._writing)

    async def get(self, webhook_id: str) -> Document | None:
        return await self._webhooks.find_one({"_id": webhook_id}, session=self._session)

    async def of_owner(self, network_id: str, organization_id: str | None) -> list[Document]:
        cursor = self._webhooks.find(
            owner_query(network_id, organization_id), session=self._session
        )
        found: list[Document] = await cursor.sort("created_at", 1).to_list()
        return found

    async def hearing(self, audience: Audience, kind: str) -> list[Document]:
        cursor = self._webhooks.find(hearing_query(audience, kind), session=self._session)
        found: list[Document] = await cursor.to_list()
        return found

    async def delete(self, webhook_id: str) -> None:
        await self._webhooks.delete_one({"_id": webhook_id}, session=self._writing)
        await self._db["webhook_log"].delete_many({"webhook_id": webhook_id}, session=self._writing)

    async def set(
        self, webhook_id: str, changes: Document, unset: tuple[str, ...] = ()
    ) -> Document | None:
        update: Document = {"$set": changes}
        if unset:
            update["$unset"] = {field: "" for field in unset}
        return await self._webhooks.find_one_and_update(
            {"_id": webhook_id},
            update,
            return_document=ReturnDocument.AFTER,
            session=self._writing,
        )

    async def set_if_secret(
        self, webhook_id: str, secret: str, changes: Document
    ) -> Document | None:
        return await self._webhooks.find_one_and_update(
            {"_id": webhook_id, "secret": secret},
            {"$set": changes},
            return_document=ReturnDocument.AFTER,
            session=self._writing,
        )

    async def failed(self, webhook_id: str) -> int:
        updated = await self._webhooks.find_one_and_update(
            {"_id": webhook_id},
            {"$inc": {"failures": 1}},
            return_document=ReturnDocument.AFTER,
            session=self._writing,
        )
        return int(updated["failures"]) if updated else 0

    async def disable(self, webhook_id: str, reason: str) -> bool:
        result = await self._webhooks.update_one(
            {"_id": webhook_id, "disabled": False},
            {"$set": {"disabled": True, "disabled_reason": reason}},
            session=self._writing,
        )
        return result.modified_count == 1


class MongoAttempts(Repository, AttemptRepository):
    @property
    def _log(self) -> Collection:
        return self._db["webhook_log"]

    async def add(
        self, webhook_id: str, delivery_id: str, status: int | None, error: str | None, at: datetime
    ) -> None:
        doc = attempt_doc(webhook_id, delivery_id, status, error, at)
        await self._log.insert_one(doc, session=self._writing)

    async def trim(self, webhook_id: str, keep: int) -> None:
        newest = self._log.find({"webhook_id": webhook_id}, {"_id": 1}, session=self._writing)
        newest = newest.sort([("at", DESCENDING), ("_id", DESCENDING)]).limit(keep)
        kept = [entry["_id"] for entry in await newest.to_list()]
        if len(kept) == keep:  # attempts in the same millisecond: ids break the tie
            await self._log.delete_many(
                {"webhook_id": webhook_id, "_id": {"$nin": kept}}, session=self._writing
            )

    async def latest(self, webhook_id: str, limit: int) -> list[Document]:
        cursor = self._log.find({"webhook_id": webhook_id}, session=self._session)
        found: list[Document] = await cursor.sort("at", DESCENDING).limit(limit).to_list()
        return found

    async def last_of(self, webhook_ids: list[str]) -> dict[str, Document]:
        pipeline: list[dict[str, Any]] = [
            {"$match": {"webhook_id": {"$in": webhook_ids}}},
            {"$sort": {"at": DESCENDING}},
            {"$group": {"_id": "$webhook_id", "last": {"$first": "$$ROOT"}}},
        ]
        cursor = await self._log.aggregate(pipeline, session=self._session)
        return {row["_id"]: row["last"] async for row in cursor}
