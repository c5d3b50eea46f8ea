"""Events published by notifications."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from shared.contracts.base import Payload


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


EVENTS: dict[str, type[Payload]] = {"notification.created": NotificationCreated}
