"""GraphQL types and operations served by the notifications service."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from services.gateway.schema.context import Info
from services.gateway.schema.relay import Connection, check_page_size, connection


@strawberry.type
class Notification:
    id: strawberry.ID
    kind: str
    title: str
    body: str
    subject_id: strawberry.ID
    read: bool
    created_at: datetime

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Notification:
        return cls(
            id=strawberry.ID(item["id"]),
            kind=item["kind"],
            title=item["title"],
            body=item["body"],
            subject_id=strawberry.ID(item["subjectId"]),
            read=item["read"],
            created_at=datetime.fromisoformat(item["createdAt"]),
        )


@strawberry.type
class NotificationsQuery:
    @strawberry.field
    async def notifications(
        self, info: Info, unread_only: bool = False, first: int = 20, after: str | None = None
    ) -> Connection[Notification]:
        caller = await info.context.caller()
        page = await info.context.clients.notifications.get(
            f"/inbox/{caller.member_id}",
            {"unread_only": unread_only, "first": check_page_size(first), "after": after},
        )
        items = page["items"]
        return connection(
            [Notification.from_item(i) for i in items],
            [i["id"] for i in items],
            page["hasNextPage"],
        )

    @strawberry.field
    async def unread_notification_count(self, info: Info) -> int:
        caller = await info.context.caller()
        count: int = await info.context.clients.notifications.get(
            f"/inbox/{caller.member_id}/unread-count"
        )
        return count


@strawberry.type
class NotificationsMutation:
    @strawberry.mutation
    async def mark_notifications_read(self, info: Info, ids: list[strawberry.ID]) -> int:
        """Marks the caller's own notifications read; returns how many changed. Ids that are
        not the caller's are ignored, exactly like ids that do not exist."""
        caller = await info.context.caller()
        changed: int = await info.context.clients.notifications.post(
            f"/inbox/{caller.member_id}/read", {"ids": [str(i) for i in ids]}
        )
        return changed


QUERIES: list[type] = [NotificationsQuery]
MUTATIONS: list[type] = [NotificationsMutation]
