"""Members' notification preferences: the channels of each event kind, quiet hours in the
member's time zone, and the daily digest. The models validate input (a bad value names its
field); `channels_for` is pure. The inbox is mandatory: it is the record every other channel
points to, so it is always part of a kind's channels and only email can be switched off."""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, ConfigDict, Field, model_validator

from shared.contracts.notifications import DigestMode, NotificationChannel
from shared.contracts.text import TextInput
from shared.i18n import check_language
from shared.zones import check_time_zone

INBOX = NotificationChannel.INBOX
EMAIL = NotificationChannel.EMAIL
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


class Preferences(Model):
    channels: KindList = []
    default_channels: Channels = [INBOX, EMAIL]
    quiet_hours: QuietHours | None = None
    time_zone: TimeZone = "UTC"
    digest: DigestMode = DigestMode.OFF
    digest_hour: DigestHour | None = None  # None: the service's configured hour
    # what the member reads notifications in (a catalog's code); None: not chosen, English
    language: LanguageCode | None = None

    def channels_for(self, kind: str) -> list[NotificationChannel]:
        for entry in self.channels:
            if entry.kind == kind:
                return entry.channels
        return self.default_channels

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


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

    def apply(self, current: Preferences) -> Preferences:
        given = self.model_dump(exclude_unset=True)
        clearable = {"quiet_hours", "digest_hour"}
        changes = {k: v for k, v in given.items() if v is not None or k in clearable}
        return Preferences.model_validate({**current.model_dump(), **changes})
