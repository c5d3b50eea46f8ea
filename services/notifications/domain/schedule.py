"""When an email goes out: now, held until the member's quiet hours end, or in the daily digest.
Pure functions of the preferences and an instant (UTC); local times are resolved with zoneinfo,
so days with a DST change are as long as they really are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.notifications.domain.preferences import EMAIL, Preferences, QuietHours


def _instant(day: date, at: time, zone: ZoneInfo, fold: int = 0) -> datetime:
    """The UTC instant of a local wall time. A time skipped by a spring-forward change resolves
    (fold 0) to the same distance after the change: 02:30 in a 02:00→03:00 gap is 03:30."""
    return datetime.combine(day, at, tzinfo=zone).replace(fold=fold).astimezone(UTC)


def quiet_until(now: datetime, quiet: QuietHours | None, zone: ZoneInfo) -> datetime | None:
    """The instant the quiet hours around `now` end, or None when `now` is not in them."""
    if quiet is None:
        return None
    local = now.astimezone(zone)
    wall, start, end = local.time().replace(tzinfo=None), quiet.start_time, quiet.end_time
    if start < end:
        inside, end_day = start <= wall < end, local.date()
    else:  # wraps past midnight
        inside = wall >= start or wall < end
        end_day = local.date() + timedelta(days=1) if wall >= start else local.date()
    if not inside:
        return None
    for fold in (0, 1):  # an end time that occurs twice (fall back): the next one
        until = _instant(end_day, end, zone, fold)
        if until > now:
            return until
    return None


def next_digest(now: datetime, hour: int, zone: ZoneInfo) -> tuple[date, datetime]:
    """The local date and the instant of the first digest hour after `now`."""
    day = now.astimezone(zone).date()
    for offset in range(3):
        candidate = day + timedelta(days=offset)
        at = _instant(candidate, time(hour), zone)
        if at > now:
            return candidate, at
    raise AssertionError("unreachable: a digest hour comes within two days")


@dataclass(frozen=True)
class EmailPlan:
    """`send_at`: when the email (or the digest holding it) goes out; `digest_day`: the local
    date of the digest it joins, None for a single email."""

    send_at: datetime
    held: bool = False
    digest_day: date | None = None


def deliverable(address: str | None) -> bool:
    """Whether mail can reach `address`: not empty, and not in the `.invalid` top-level domain,
    which is reserved never to resolve (RFC 2606). The placeholder admins of organizations
    imported from a directory have such an address: their contacts did not sign up."""
    return bool(address) and not str(address).rstrip(".").lower().endswith(".invalid")


def plan_email(
    preferences: Preferences, kind: str, now: datetime, default_digest_hour: int
) -> EmailPlan | None:
    """None when the member switched email off for this kind."""
    if EMAIL not in preferences.channels_for(kind):
        return None
    zone = preferences.zone
    if preferences.digest == "DAILY":
        hour = preferences.digest_hour
        day, at = next_digest(now, default_digest_hour if hour is None else hour, zone)
        held_until = quiet_until(at, preferences.quiet_hours, zone)
        return EmailPlan(held_until or at, held_until is not None, day)
    held_until = quiet_until(now, preferences.quiet_hours, zone)
    return EmailPlan(held_until or now, held_until is not None)
