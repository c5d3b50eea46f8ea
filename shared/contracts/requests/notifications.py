"""The request models of notifications' internal routes: preferences, the inbox, webhooks.
A bad value names its field. The inbox is mandatory: it is the record every other channel
points to, so it is always part of a kind's channels and only email can be switched off."""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from shared.contracts.notifications import DigestMode, NotificationChannel
from shared.contracts.text import TextInput
from shared.i18n import check_language
from shared.zones import check_time_zone

INBOX = NotificationChannel.INBOX
EMAIL = NotificationChannel.EMAIL
P = TypeVar("P", bound=BaseModel)
DEFAULT_OVERLAP_SECONDS = 24 * 3600
MAX_OVERLAP_SECONDS = 7 * 24 * 3600  # how long a rotated-out secret may stay valid


HH_MM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def check_hh_mm(value: str) -> str:
    if not HH_MM.match(value):
        raise ValueError(f"{value!r} is not a time of day as HH:MM (00:00 to 23:59)")
    return value


def with_inbox(channels: list[NotificationChannel]) -> list[NotificationChannel]:
    """The inbox first, then the others once each."""
    return [INBOX, *sorted({c for c in channels if c != INBOX})]


TimeZone = Annotated[str, AfterValidator(check_time_zone)]
LanguageCode = Annotated[str, AfterValidator(check_language)]
TimeOfDay = Annotated[str, AfterValidator(check_hh_mm)]
Channels = Annotated[list[NotificationChannel], Field(max_length=10), AfterValidator(with_inbox)]


class Model(TextInput):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KindChannels(Model):
    kind: str
    channels: Channels


class QuietHours(Model):
    """From `start` to `end`, local time; `end` before `start` wraps past midnight."""

    start: TimeOfDay
    end: TimeOfDay

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHours:
        if self.start == self.end:
            raise ValueError("quiet hours must start and end at different times")
        return self

    @property
    def start_time(self) -> time:
        return time.fromisoformat(self.start)

    @property
    def end_time(self) -> time:
        return time.fromisoformat(self.end)


def _unique_kinds(value: list[KindChannels]) -> list[KindChannels]:
    seen: set[str] = set()
    for entry in value:
        if entry.kind in seen:
            raise ValueError(f"the kind {entry.kind} is listed twice")
        seen.add(entry.kind)
    return value


KindList = Annotated[list[KindChannels], Field(max_length=50), AfterValidator(_unique_kinds)]
DigestHour = Annotated[int, Field(ge=0, le=23)]


class PreferencesPatch(Model):
    """What `updateNotificationPreferences` sends: only the fields given change; a null
    `quiet_hours` or `digest_hour` clears it."""

    channels: KindList | None = None
    default_channels: Channels | None = None
    quiet_hours: QuietHours | None = None
    time_zone: TimeZone | None = None
    digest: DigestMode | None = None
    digest_hour: DigestHour | None = None
    language: LanguageCode | None = None

    def unknown_kind(self, known: set[str]) -> tuple[int, str] | None:
        for index, entry in enumerate(self.channels or []):
            if entry.kind not in known:
                return index, entry.kind
        return None

    def apply(self, current: P) -> P:
        """`current` preferences with this patch applied (validated again as a whole)."""
        given = self.model_dump(exclude_unset=True)
        clearable = {"quiet_hours", "digest_hour"}
        changes = {k: v for k, v in given.items() if v is not None or k in clearable}
        return type(current).model_validate({**current.model_dump(), **changes})


class UpdatePreferences(TextInput):
    input: PreferencesPatch


class MarkRead(TextInput):
    ids: list[str] = Field(max_length=500)


class RegisterWebhook(TextInput):
    network_id: str
    organization_id: str | None = None
    url: str = Field(max_length=2000)
    event_types: list[str] = Field(default=[], max_length=50)


class RotateWebhookSecret(BaseModel):
    overlap_seconds: int = Field(DEFAULT_OVERLAP_SECONDS, ge=0, le=MAX_OVERLAP_SECONDS)
