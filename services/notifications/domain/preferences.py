"""Members' notification preferences: the channels of each event kind, quiet hours in the
member's time zone, the daily digest and the language. The input models are the contract's
(`shared.contracts.requests.notifications`; a bad value names its field); `channels_for` is
pure."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from shared.contracts.notifications import DigestMode, NotificationChannel
from shared.contracts.requests.notifications import (
    EMAIL,
    INBOX,
    Channels,
    DigestHour,
    KindChannels,
    KindList,
    LanguageCode,
    Model,
    PreferencesPatch,
    QuietHours,
    TimeZone,
)

__all__ = [
    "EMAIL",
    "INBOX",
    "KindChannels",
    "Model",
    "NotificationChannel",
    "Preferences",
    "PreferencesPatch",
    "QuietHours",
]


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
