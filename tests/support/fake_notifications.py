"""Notifications' unit of work over dicts: the repositories of
services/notifications/service/unit_of_work.py in memory, with the documents built by the
store's own functions (services/notifications/store/) and its unique inbox index."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError

from services.notifications.domain.preferences import Preferences
from services.notifications.domain.templates import Audience, Message
from services.notifications.service.unit_of_work import (
    AttemptRepository,
    DeliveryRepository,
    DigestEntry,
    InboxRepository,
    NotificationsUnitOfWork,
    PreferenceRepository,
    RecipientRepository,
    WebhookRepository,
)
from services.notifications.store.inbox import inbox_row
from services.notifications.store.queue import (
    CLAIM_FIELDS,
    digest_doc,
    digest_item_doc,
    email_doc,
    webhook_post_doc,
)
from services.notifications.store.recipients import recipient_doc
from services.notifications.store.webhooks import attempt_doc
from shared.contracts import MemberRef, NotificationCreated
from shared.mongo import Document
from tests.support.fake_uow import FakeRepository, FakeUnitOfWork


class FakeRecipients(FakeRepository, RecipientRepository):
    async def save(
        self, member: MemberRef, network_id: str, organization_id: str, time_zone: str | None
    ) -> None:
        self._uow.writing()
        self._rows[member.member_id] = recipient_doc(member, network_id, organization_id, time_zone)

    async def remove(self, member_id: str) -> None:
        self._uow.writing()
        self._rows.pop(member_id, None)

    async def get(self, member_id: str) -> Document | None:
        return self._get(member_id)

    async def time_zone_of(self, organization_id: str) -> str | None:
        zones = [
            d["time_zone"]
            for d in self._all()
            if d["organization_id"] == organization_id and d["time_zone"] is not None
        ]
        return zones[0] if zones else None

    async def audience(self, audience: Audience) -> list[Document]:
        return [
            d
            for d in self._all()
            if d["network_id"] in audience.networks
            and (
                d["organization_id"] in audience.organization_ids or d["_id"] in audience.member_ids
            )
        ]

    async def of_organization(self, network_id: str, organization_id: str | None) -> list[Document]:
        return [
            d
            for d in self._all()
            if (d["network_id"], d["organization_id"]) == (network_id, organization_id)
        ]


class FakeInbox(FakeRepository, InboxRepository):
    async def add(self, created: list[NotificationCreated], event_id: str) -> None:
        for c in created:  # the unique index: one row per event, member and channel
            row = inbox_row(c, event_id)
            self._insert(row, "event_id", "member_id", "channel")

    def _of(self, member_id: str) -> list[Document]:
        return [d for d in self._all() if d["member_id"] == member_id]

    async def page(
        self, member_id: str, unread_only: bool, limit: int, before: str | None
    ) -> list[Document]:
        found = [
            d
            for d in self._of(member_id)
            if (not unread_only or not d["read"]) and (not before or d["_id"] < before)
        ]
        return sorted(found, key=lambda d: d["_id"], reverse=True)[:limit]

    async def unread_count(self, member_id: str) -> int:
        return sum(1 for d in self._of(member_id) if not d["read"])

    async def owned(self, member_id: str, ids: list[str]) -> set[str]:
        return {d["_id"] for d in self._of(member_id) if d["_id"] in ids}

    async def mark_read(self, member_id: str, ids: list[str]) -> int:
        self._uow.writing()
        marked = 0
        for row in self._rows.values():
            if row["member_id"] == member_id and row["_id"] in ids and not row["read"]:
                row["read"] = True
                marked += 1
        return marked


class FakePreferences(FakeRepository, PreferenceRepository):
    async def of(self, member_ids: list[str]) -> dict[str, Preferences]:
        return {
            d["_id"]: Preferences.model_validate(d["preferences"])
            for d in self._all()
            if d["_id"] in member_ids
        }

    async def save(self, member_id: str, preferences: Preferences) -> None:
        self._uow.writing()
        self._rows[member_id] = {"_id": member_id, "preferences": preferences.model_dump()}


class FakeWebhooks(FakeRepository, WebhookRepository):
    def __init__(self, uow: FakeUnitOfWork) -> None:
        super().__init__(uow, "webhooks")
        self._log = uow.tables["webhook_log"]

    async def add(self, webhook: Document) -> None:
        self._insert(webhook)

    async def get(self, webhook_id: str) -> Document | None:
        return self._get(webhook_id)

    async def of_owner(self, network_id: str, organization_id: str | None) -> list[Document]:
        found = [
            d
            for d in self._all()
            if d["network_id"] == network_id
            and (organization_id is None or d["organization_id"] == organization_id)
        ]
        return sorted(found, key=lambda d: d["created_at"])

    async def hearing(self, audience: Audience, kind: str) -> list[Document]:
        return [
            d
            for d in self._all()
            if d["network_id"] in audience.networks
            and not d["disabled"]
            and d["organization_id"] in (None, *audience.organization_ids)
            and (not d["event_types"] or kind in d["event_types"])
        ]

    async def delete(self, webhook_id: str) -> None:
        self._uow.writing()
        self._rows.pop(webhook_id, None)
        for key in [k for k, d in self._log.items() if d["webhook_id"] == webhook_id]:
            del self._log[key]

    async def set(
        self, webhook_id: str, changes: Document, unset: tuple[str, ...] = ()
    ) -> Document | None:
        self._uow.writing()
        found = self._rows.get(webhook_id)
        if found is None:
            return None
        found.update(copy.deepcopy(changes))
        for field in unset:
            found.pop(field, None)
        return copy.deepcopy(found)

    async def set_if_secret(
        self, webhook_id: str, secret: str, changes: Document
    ) -> Document | None:
        found = self._rows.get(webhook_id)
        if found is None or found["secret"] != secret:
            return None
        return await self.set(webhook_id, changes)

    async def failed(self, webhook_id: str) -> int:
        self._uow.writing()
        found = self._rows.get(webhook_id)
        if found is None:
            return 0
        found["failures"] += 1
        return int(found["failures"])

    async def disable(self, webhook_id: str, reason: str) -> bool:
        self._uow.writing()
        found = self._rows.get(webhook_id)
        if found is None or found["disabled"]:
            return False
        found.update(disabled=True, disabled_reason=reason)
        return True


class FakeAttempts(FakeRepository, AttemptRepository):
    def _newest_first(self, webhook_id: str) -> list[Document]:
        found = [d for d in self._all() if d["webhook_id"] == webhook_id]
        return sorted(found, key=lambda d: (d["at"], d["_id"]), reverse=True)

    async def add(
        self, webhook_id: str, delivery_id: str, status: int | None, error: str | None, at: datetime
    ) -> None:
        doc = attempt_doc(webhook_id, delivery_id, status, error, at)
        self._insert({"_id": f"{len(self._rows):08d}", **doc})  # ids grow, as ObjectIds do

    async def trim(self, webhook_id: str, keep: int) -> None:
        self._uow.writing()
        for old in self._newest_first(webhook_id)[keep:]:
            del self._rows[old["_id"]]

    async def latest(self, webhook_id: str, limit: int) -> list[Document]:
        return self._newest_first(webhook_id)[:limit]

    async def last_of(self, webhook_ids: list[str]) -> dict[str, Document]:
        latest = {w: self._newest_first(w) for w in webhook_ids}
        return {w: found[0] for w, found in latest.items() if found}


class FakeDeliveries(FakeRepository, DeliveryRepository):
    def __init__(self, uow: FakeUnitOfWork) -> None:
        super().__init__(uow, "deliveries")
        self._items = uow.tables["digest_items"]

    async def add_email(
        self, delivery_id: str, to: str, message: Message, send_at: datetime, held: bool = False
    ) -> None:
        self._insert(email_doc(delivery_id, to, message, send_at, held))

    async def add_webhook_post(
        self, delivery_id: str, webhook_id: str, body: str, send_at: datetime
    ) -> None:
        self._insert(webhook_post_doc(delivery_id, webhook_id, body, send_at))

    async def add_to_digest(
        self, digest: DigestEntry, item_id: str, message: Message, kind: str, at: datetime
    ) -> None:
        self._uow.writing()
        if item_id in self._items:
            raise DuplicateKeyError(f"_id {item_id} exists")
        self._items[item_id] = digest_item_doc(item_id, digest.member_id, message, kind, at)
        self._rows.setdefault(digest.digest_id, digest_doc(digest))

    async def unsent_digest_items(self, member_id: str, now: datetime) -> list[Document]:
        found = [
            copy.deepcopy(d)
            for d in self._items.values()
            if d["member_id"] == member_id and not d["sent"] and d["created_at"] <= now
        ]
        return sorted(found, key=lambda d: d["created_at"])

    async def mark_digest_items_sent(self, ids: list[str], digest_id: str) -> None:
        self._uow.writing()
        for item_id in ids:
            self._items[item_id].update(sent=True, digest_id=digest_id)

    async def due(self, now: datetime, limit: int = 50) -> list[Document]:
        due = [
            d
            for d in self._all()
            if (d["status"] == "pending" and d["next_at"] <= now)
            or (d["status"] == "sending" and d["lease_until"] <= now)
        ]
        return sorted(due, key=lambda d: d["next_at"])[:limit]

    async def claim(self, delivery: Document, now: datetime, lease: timedelta) -> bool:
        self._uow.writing()
        found = self._rows.get(delivery["_id"])
        if found is None or any(found.get(k) != delivery.get(k) for k in CLAIM_FIELDS):
            return False
        found.update(status="sending", lease_until=now + lease)
        return True

    async def set(self, delivery_id: str, changes: dict[str, Any]) -> None:
        self._uow.writing()
        if delivery_id in self._rows:
            self._rows[delivery_id].update(copy.deepcopy(changes))


class FakeNotificationsUnitOfWork(FakeUnitOfWork, NotificationsUnitOfWork):
    def __init__(self) -> None:
        super().__init__(
            "recipients",
            "inbox",
            "preferences",
            "webhooks",
            "webhook_log",
            "deliveries",
            "digest_items",
        )
        self.recipients = FakeRecipients(self, "recipients")
        self.inbox = FakeInbox(self, "inbox")
        self.preferences = FakePreferences(self, "preferences")
        self.webhooks = FakeWebhooks(self)
        self.attempts = FakeAttempts(self, "webhook_log")
        self.deliveries = FakeDeliveries(self)
