"""The in-app inbox: one row per notification, event, member and channel. The row is built here
and nowhere else, from the `notification.created` event that announces it."""

from __future__ import annotations

from typing import Any

from pymongo import DESCENDING
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.notifications.service.unit_of_work import InboxRepository
from shared.contracts import NotificationCreated
from shared.mongo import Collection, Document
from shared.unit_of_work import Repository

DUPLICATE_KEY = 11000


def inbox_row(created: NotificationCreated, event_id: str) -> Document:
    """What the inbox keeps of a notification: the event's fields, the event it came from
    (the unique index's part), its channel and whether it was read."""
    return {
        "_id": created.notification_id,
        **created.model_dump(),
        "event_id": event_id,
        "channel": "inbox",
        "read": False,
    }


def page_query(member_id: str, unread_only: bool, before: str | None) -> Document:
    query: dict[str, Any] = {"member_id": member_id}
    if unread_only:
        query["read"] = False
    if before:
        query["_id"] = {"$lt": before}
    return query


class MongoInbox(Repository, InboxRepository):
    @property
    def _inbox(self) -> Collection:
        return self._db["inbox"]

    async def add(self, created: list[NotificationCreated], event_id: str) -> None:
        if not created:
            return
        rows = [inbox_row(c, event_id) for c in created]
        try:
            await self._inbox.insert_many(rows, ordered=True, session=self._writing)
        except BulkWriteError as exc:  # as the repository says: a duplicate is DuplicateKeyError
            first = exc.details["writeErrors"][0]
            if first["code"] != DUPLICATE_KEY:
                raise
            raise DuplicateKeyError(first["errmsg"], DUPLICATE_KEY, first) from exc

    async def page(
        self, member_id: str, unread_only: bool, limit: int, before: str | None
    ) -> list[Document]:
        query = page_query(member_id, unread_only, before)
        cursor = self._inbox.find(query, session=self._session).sort("_id", DESCENDING)
        found: list[Document] = await cursor.limit(limit).to_list()
        return found

    async def unread_count(self, member_id: str) -> int:
        query = {"member_id": member_id, "read": False}
        return await self._inbox.count_documents(query, session=self._session)

    async def owned(self, member_id: str, ids: list[str]) -> set[str]:
        query = {"member_id": member_id, "_id": {"$in": ids}}
        cursor = self._inbox.find(query, {"_id": 1}, session=self._session)
        return {row["_id"] async for row in cursor}

    async def mark_read(self, member_id: str, ids: list[str]) -> int:
        result = await self._inbox.update_many(
            {"member_id": member_id, "_id": {"$in": ids}, "read": False},
            {"$set": {"read": True}},
            session=self._writing,
        )
        return result.modified_count
