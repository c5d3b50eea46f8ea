"""A member's use cases: reading and marking the inbox, reading and changing the
notification preferences. Answers are the shapes the gateway reads."""

from __future__ import annotations

from typing import Any

from services.notifications.domain import NOTIFIED_KINDS
from services.notifications.domain.preferences import Preferences, PreferencesPatch
from services.notifications.service.unit_of_work import NotificationsUnitOfWork
from shared.contracts.page import DocPage
from shared.errors import bad_input, not_found
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
    def __init__(self, digest_hour: int) -> None:
        self.digest_hour = digest_hour  # the service's, for members who chose none

    async def inbox(
        self,
        member_id: str,
        unread_only: bool,
        first: int,
        after: str | None,
        uow: NotificationsUnitOfWork,
    ) -> DocPage:
        """Newest first, `first` of them after the cursor `after` (a notification id)."""
        items = await uow.inbox.page(member_id, unread_only, first + 1, after)
        return DocPage.of([notification_view(item) for item in items], first)

    async def mark_read(self, member_id: str, ids: list[str], uow: NotificationsUnitOfWork) -> int:
        """How many were unread. All or nothing: an id not the member's is NOT_FOUND, as a
        missing one is, and nothing is marked."""
        async with uow:
            missing = set(ids) - await uow.inbox.owned(member_id, ids)
            if missing:
                raise not_found("notification", sorted(missing)[0])
            return await uow.inbox.mark_read(member_id, ids)

    async def unread_count(self, member_id: str, uow: NotificationsUnitOfWork) -> int:
        return await uow.inbox.unread_count(member_id)

    async def _preferences(self, member_id: str, uow: NotificationsUnitOfWork) -> Preferences:
        """Stored, or the defaults in the member's organization's time zone."""
        stored = (await uow.preferences.of([member_id])).get(member_id)
        if stored is not None:
            return stored
        recipient = await uow.recipients.get(member_id)
        zone = recipient.get("time_zone") if recipient else None
        return Preferences(time_zone=zone or "UTC")

    async def preferences_of(self, member_id: str, uow: NotificationsUnitOfWork) -> Answer:
        return preferences_view(await self._preferences(member_id, uow), self.digest_hour)

    async def update_preferences(
        self, member_id: str, patch: PreferencesPatch, uow: NotificationsUnitOfWork
    ) -> Answer:
        """Only the fields given change; a kind nothing notifies of is BAD_USER_INPUT."""
        unknown = patch.unknown_kind(set(NOTIFIED_KINDS))
        if unknown is not None:
            index, kind = unknown
            raise bad_input(f"input.channels[{index}].kind", f"unknown event kind {kind!r}")
        async with uow:
            updated = patch.apply(await self._preferences(member_id, uow))
            await uow.preferences.save(member_id, updated)
        return preferences_view(updated, self.digest_hour)
