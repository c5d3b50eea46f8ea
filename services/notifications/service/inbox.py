"""A member's use cases: reading and marking the inbox, reading and changing the
notification preferences. Answers are the shapes the gateway reads."""

from __future__ import annotations

from typing import Any

from services.notifications.domain import NOTIFIED_KINDS
from services.notifications.domain.preferences import Preferences, PreferencesPatch
from services.notifications.store import NotificationStore, PreferenceStore
from shared.contracts.page import DocPage
from shared.errors import bad_input
from shared.mongo import Document

Answer = dict[str, Any]


def notification_view(item: Document) -> Answer:
    return {
        "id": item["_id"],
        "kind": item["kind"],
        "title": item["title"],
        "body": item["body"],
        "subjectId": item["subject_id"],
        "read": item["read"],
        "createdAt": item["created_at"].isoformat(),
    }


def preferences_view(p: Preferences, default_digest_hour: int) -> Answer:
    quiet = p.quiet_hours
    return {
        "channels": [{"kind": e.kind, "channels": e.channels} for e in p.channels],
        "defaultChannels": p.default_channels,
        "quietHours": {"start": quiet.start, "end": quiet.end} if quiet else None,
        "timeZone": p.time_zone,
        "digest": p.digest,
        "digestHour": default_digest_hour if p.digest_hour is None else p.digest_hour,
        "language": p.language,
    }


class InboxService:
    def __init__(
        self, store: NotificationStore, preferences: PreferenceStore, digest_hour: int
    ) -> None:
        self.store = store
        self.preferences = preferences
        self.digest_hour = digest_hour  # the service's, for members who chose none

    async def inbox(
        self, member_id: str, unread_only: bool, first: int, after: str | None
    ) -> DocPage:
        """Newest first, `first` of them after the cursor `after` (a notification id)."""
        items = await self.store.list_inbox(member_id, unread_only, first + 1, after)
        return DocPage.of([notification_view(item) for item in items], first)

    async def mark_read(self, member_id: str, ids: list[str]) -> int:
        """How many were unread. All or nothing: an id not the member's is NOT_FOUND."""
        return await self.store.mark_read(member_id, ids)

    async def unread_count(self, member_id: str) -> int:
        return await self.store.unread_count(member_id)

    async def preferences_of(self, member_id: str) -> Answer:
        return preferences_view(await self.preferences.get(member_id), self.digest_hour)

    async def update_preferences(self, member_id: str, patch: PreferencesPatch) -> Answer:
        """Only the fields given change; a kind nothing notifies of is BAD_USER_INPUT."""
        unknown = patch.unknown_kind(set(NOTIFIED_KINDS))
        if unknown is not None:
            index, kind = unknown
            raise bad_input(f"input.channels[{index}].kind", f"unknown event kind {kind!r}")
        updated = patch.apply(await self.preferences.get(member_id))
        await self.preferences.save(member_id, updated)
        return preferences_view(updated, self.digest_hour)
