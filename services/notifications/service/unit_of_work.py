"""Notifications' unit of work and the repositories that hang off it: what the use cases and
the delivery worker may read and write, and nothing else. `services/notifications/store/`
implements them over MongoDB (bound to the unit of work's session);
tests/support/fake_notifications.py over dicts."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from services.notifications.domain.preferences import Preferences
from services.notifications.domain.templates import Audience, Message
from shared.contracts import MemberRef, NotificationCreated
from shared.mongo import Document
from shared.unit_of_work import UnitOfWork


class RecipientRepository(abc.ABC):
    """Who can be told: members (from intake's events) with their email and time zone."""

    @abc.abstractmethod
    async def save(
        self, member: MemberRef, network_id: str, organization_id: str, time_zone: str | None
    ) -> None: ...

    @abc.abstractmethod
    async def remove(self, member_id: str) -> None: ...

    @abc.abstractmethod
    async def get(self, member_id: str) -> Document | None: ...

    @abc.abstractmethod
    async def time_zone_of(self, organization_id: str) -> str | None:
        """The time zone a member of the organization has, if any has one."""

    @abc.abstractmethod
    async def audience(self, audience: Audience) -> list[Document]:
        """The members of its organizations, and its members named directly, in its
        networks."""

    @abc.abstractmethod
    async def of_organization(self, network_id: str, organization_id: str | None) -> list[Document]:
        """The members of an organization of the network (none without an organization)."""


class InboxRepository(abc.ABC):
    @abc.abstractmethod
    async def add(self, created: list[NotificationCreated], event_id: str) -> None:
        """Every recipient's row of one event in one write; one per event, member and
        channel (a second fails with DuplicateKeyError)."""

    @abc.abstractmethod
    async def page(
        self, member_id: str, unread_only: bool, limit: int, before: str | None
    ) -> list[Document]:
        """Newest first, before the id `before`."""

    @abc.abstractmethod
    async def unread_count(self, member_id: str) -> int: ...

    @abc.abstractmethod
    async def owned(self, member_id: str, ids: list[str]) -> set[str]:
        """Those of `ids` that are the member's."""

    @abc.abstractmethod
    async def mark_read(self, member_id: str, ids: list[str]) -> int:
        """How many of them were unread."""


class PreferenceRepository(abc.ABC):
    @abc.abstractmethod
    async def of(self, member_ids: list[str]) -> dict[str, Preferences]:
        """Stored preferences of these members; members without any are absent."""

    @abc.abstractmethod
    async def save(self, member_id: str, preferences: Preferences) -> None: ...


class WebhookRepository(abc.ABC):
    @abc.abstractmethod
    async def add(self, webhook: Document) -> None: ...

    @abc.abstractmethod
    async def get(self, webhook_id: str) -> Document | None: ...

    @abc.abstractmethod
    async def of_owner(self, network_id: str, organization_id: str | None) -> list[Document]:
        """The network's webhooks, or one organization's, oldest first."""

    @abc.abstractmethod
    async def hearing(self, audience: Audience, kind: str) -> list[Document]:
        """The enabled webhooks of the audience's networks (network-wide, or of one of its
        organizations) that asked for `kind` (or for every kind)."""

    @abc.abstractmethod
    async def delete(self, webhook_id: str) -> None:
        """The webhook and its log; its queued deliveries are skipped by the worker."""

    @abc.abstractmethod
    async def set(
        self, webhook_id: str, changes: Document, unset: tuple[str, ...] = ()
    ) -> Document | None:
        """The webhook after the change; None when it is gone."""

    @abc.abstractmethod
    async def set_if_secret(
        self, webhook_id: str, secret: str, changes: Document
    ) -> Document | None:
        """The change, if the webhook still has `secret` (no other rotation came first)."""

    @abc.abstractmethod
    async def failed(self, webhook_id: str) -> int:
        """Counts one more failure in a row; answers how many."""

    @abc.abstractmethod
    async def disable(self, webhook_id: str, reason: str) -> bool:
        """Disables it; False when it was disabled already (or is gone)."""


class AttemptRepository(abc.ABC):
    """Each webhook's delivery log, newest first."""

    @abc.abstractmethod
    async def add(
        self, webhook_id: str, delivery_id: str, status: int | None, error: str | None, at: datetime
    ) -> None:
        """One attempt: the receiver's status code, or why it failed (None when it took it)."""

    @abc.abstractmethod
    async def trim(self, webhook_id: str, keep: int) -> None:
        """Only the `keep` newest attempts of a webhook stay."""

    @abc.abstractmethod
    async def latest(self, webhook_id: str, limit: int) -> list[Document]: ...

    @abc.abstractmethod
    async def last_of(self, webhook_ids: list[str]) -> dict[str, Document]:
        """The newest attempt of each webhook that has one."""


@dataclass(frozen=True)
class DigestEntry:
    """Which digest an item goes in: one delivery per member and local day."""

    digest_id: str
    member_id: str
    to: str
    send_at: datetime


class DeliveryRepository(abc.ABC):
    """The queue the event use case writes and the delivery worker drains: single emails,
    webhook posts and daily digests (one per member and local day) with their items."""

    @abc.abstractmethod
    async def add_email(
        self,
        delivery_id: str,
        to: str,
        message: Message,
        send_at: datetime,
        held: bool = False,
    ) -> None:
        """One email (`held` for quiet hours until `send_at`). Ids are unique: a second
        delivery with the same id fails with DuplicateKeyError."""

    @abc.abstractmethod
    async def add_webhook_post(
        self, delivery_id: str, webhook_id: str, body: str, send_at: datetime
    ) -> None: ...

    @abc.abstractmethod
    async def add_to_digest(
        self, digest: DigestEntry, item_id: str, message: Message, kind: str, at: datetime
    ) -> None:
        """An item of a member's digest of a day; the day's first item creates the digest
        delivery, later ones find it."""

    @abc.abstractmethod
    async def unsent_digest_items(self, member_id: str, now: datetime) -> list[Document]:
        """Every item not yet sent, oldest first."""

    @abc.abstractmethod
    async def mark_digest_items_sent(self, ids: list[str], digest_id: str) -> None: ...

    @abc.abstractmethod
    async def due(self, now: datetime, limit: int = 50) -> list[Document]:
        """Pending deliveries due by `now`, and claimed ones whose worker died."""

    @abc.abstractmethod
    async def claim(self, delivery: Document, now: datetime, lease: timedelta) -> bool:
        """Takes a due delivery as it was seen; False when another worker took it first."""

    @abc.abstractmethod
    async def set(self, delivery_id: str, changes: dict[str, Any]) -> None: ...


class NotificationsUnitOfWork(UnitOfWork):
    recipients: RecipientRepository
    inbox: InboxRepository
    preferences: PreferenceRepository
    webhooks: WebhookRepository
    attempts: AttemptRepository
    deliveries: DeliveryRepository
