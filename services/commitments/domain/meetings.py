"""The next meeting slots every partner is available for, across their time zones.

Windows are laid on the real calendar in each partner's own zone (so daylight-saving changes
move them exactly as they move for the people), turned into UTC intervals and intersected."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.weekly import day_index, window_minutes

Interval = tuple[datetime, datetime]
SLOT_STEP = timedelta(minutes=15)


@dataclass(frozen=True)
class Schedule:
    organization_id: str
    time_zone: str
    windows: Sequence[tuple[str, str, str]]  # (day, start "HH:MM", end "HH:MM"), local


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    local_starts: dict[str, datetime]  # organization id -> the start in its own zone


def local_moment(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    """A wall-clock time on a date, as a UTC instant. Wall-clock arithmetic first, so "24:00"
    is the next midnight; a time skipped by a daylight-saving jump lands after the jump, and
    a repeated time takes its first occurrence (fold=0)."""
    naive = datetime.combine(day, time()) + timedelta(minutes=minutes)
    return naive.replace(tzinfo=zone).astimezone(UTC)


def intervals(schedule: Schedule, start: datetime, end: datetime) -> list[Interval]:
    """The schedule's availability between two instants, as UTC intervals."""
    zone = ZoneInfo(schedule.time_zone)
    first = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date()
    found: list[Interval] = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        for weekday, begin, finish in schedule.windows:
            if day_index(weekday) != day.weekday():
                continue
            try:
                lo, hi = window_minutes(begin, finish)
            except ValueError:
                continue
            a, b = local_moment(day, lo, zone), local_moment(day, hi, zone)
            a, b = max(a, start), min(b, end)
            if a < b:
                found.append((a, b))
    return merge(found)


def merge(items: list[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for a, b in sorted(items):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def intersect(left: list[Interval], right: list[Interval]) -> list[Interval]:
    out: list[Interval] = []
    i = j = 0
    while i < len(left) and j < len(right):
        a, b = max(left[i][0], right[j][0]), min(left[i][1], right[j][1])
        if a < b:
            out.append((a, b))
        if left[i][1] < right[j][1]:
            i += 1
        else:
            j += 1
    return out


def round_up(moment: datetime) -> datetime:
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    steps = -((epoch - moment) // SLOT_STEP)  # ceiling
    return epoch + steps * SLOT_STEP


def meeting_slots(
    schedules: Sequence[Schedule],
    after: datetime,
    *,
    days: int = 14,
    duration: timedelta = timedelta(hours=1),
    limit: int = 5,
) -> list[Slot]:
    """The earliest slot of each stretch where every partner is free, soonest first."""
    if not schedules:
        return []
    until = after + timedelta(days=days)
    common = intervals(schedules[0], after, until)
    for schedule in schedules[1:]:
        common = intersect(common, intervals(schedule, after, until))
    slots = []
    for a, b in common:
        begin = round_up(a)
        if b - begin >= duration:
            locals_ = {
                s.organization_id: begin.astimezone(ZoneInfo(s.time_zone)) for s in schedules
            }
            slots.append(Slot(begin, begin + duration, locals_))
        if len(slots) == limit:
            break
    return slots
