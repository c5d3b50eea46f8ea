"""Events published by notifications."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from shared.contracts.base import CamelAnswer, Payload


class NotificationChannel(StrEnum):
    """Where a notification goes: the inbox (always) and, if the member wants, email."""

    INBOX = "INBOX"
    EMAIL = "EMAIL"


class DigestMode(StrEnum):
    OFF = "OFF"
    DAILY = "DAILY"


class NotificationCreated(Payload):
    notification_id: str
    network_id: str
    member_id: str
    kind: str
    title: str
    body: str
    subject_id: str
    created_at: datetime


# What notifications' internal routes answer and the gateway reads.


class NotificationView(CamelAnswer):
    id: str
    kind: str
    title: str
    body: str
    subject_id: str
    read: bool
    created_at: datetime


class KindChannels(CamelAnswer):
    kind: str
    channels: list[NotificationChannel]


class QuietHoursView(CamelAnswer):
    start: str
    end: str


class PreferencesView(CamelAnswer):
    channels: list[KindChannels] = []
    default_channels: list[NotificationChannel]
    quiet_hours: QuietHoursView | None = None
    time_zone: str
    digest: DigestMode
    digest_hour: int
    language: str | None = None  # a catalog's code (shared/i18n.py); None: not chosen


class WebhookView(CamelAnswer):
    id: str
    network_id: str
    organization_id: str | None = None
    url: str
    event_types: list[str] = []
    disabled: bool = False
    failures: int = 0


class RegisteredWebhook(WebhookView):
    secret: str  # shown only in the answer to its registration


class WebhookDelivery(CamelAnswer):
    at: datetime
    status_code: int | None = None
    error: str | None = None
    ok: bool


class WebhookListing(WebhookView):
    """A webhook as its owners list it: why it was disabled, when a rotated-out secret stops
    signing, and its latest delivery attempt."""

    disabled_reason: str | None = None
    previous_secret_expires_at: datetime | None = None
    last_delivery: WebhookDelivery | None = None


class RotatedWebhookSecret(CamelAnswer):
    webhook: WebhookListing
    secret: str  # the new secret: shown only in this answer
    previous_secret_expires_at: datetime | None = None


EVENTS: dict[str, type[Payload]] = {"notification.created": NotificationCreated}
