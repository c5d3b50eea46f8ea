"""Weekly availability across time zones: windows become UTC hours of a reference week
(0 = Monday 00:00 UTC ... 167), so two organizations' overlap is a bit intersection."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.contracts import AvailabilityWindow
from shared.weekly import DAYS, day_index, window_minutes

HOURS_PER_WEEK = 168


def this_monday(today: date) -> date:
    """The Monday of `today`'s week; the caller passes the day from its service's clock."""
    return today - timedelta(days=today.weekday())


def utc_hours(windows: Iterable[AvailabilityWindow], time_zone: str, monday: date) -> list[int]:
    """The UTC hours of the week a set of local windows covers (partial hours count)."""
    zone = ZoneInfo(time_zone)
    hours: set[int] = set()
    start_of_week = datetime.combine(monday, time(), UTC)
    for window in windows:
        day = day_index(window.day)
        if day is None:
            continue
        try:
            start, end = window_minutes(window.start, window.end)
        except ValueError:
            continue
        local = datetime.combine(monday + timedelta(days=day), time(), zone)
        begin = local + timedelta(minutes=start)
        finish = local + timedelta(minutes=end)
        first = int((begin - start_of_week).total_seconds() // 3600)
        last = int(-((start_of_week - finish).total_seconds() // 3600))  # ceiling
        hours.update(h % HOURS_PER_WEEK for h in range(first, last))
    return sorted(hours)


def utc_offset_hours(time_zone: str, monday: date) -> float:
    moment = datetime.combine(monday, time(12), ZoneInfo(time_zone))
    offset = moment.utcoffset()
    return offset.total_seconds() / 3600 if offset else 0.0


def part_of_day(hour: int) -> str:
    return "morning" if hour < 12 else "afternoon" if hour < 17 else "evening"


def describe_overlap(utc_hour_ids: Iterable[int], time_zone: str, monday: date) -> str | None:
    """ "3 evening hours overlap on Tuesdays", in the reader's own time zone."""
    zone = ZoneInfo(time_zone)
    start_of_week = datetime.combine(monday, time(), UTC)
    by_day: Counter[int] = Counter()
    parts: dict[int, Counter[str]] = {}
    for hour in sorted(utc_hour_ids):
        local = (start_of_week + timedelta(hours=hour)).astimezone(zone)
        by_day[local.weekday()] += 1
        parts.setdefault(local.weekday(), Counter())[part_of_day(local.hour)] += 1
    if not by_day:
        return None
    day, count = by_day.most_common(1)[0]
    part = parts[day].most_common(1)[0][0]
    noun, verb = ("hour", "overlaps") if count == 1 else ("hours", "overlap")
    return f"{count} {part} {noun} {verb} on {DAYS[day].capitalize()}s"
