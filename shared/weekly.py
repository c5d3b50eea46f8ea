"""Weekly availability windows (`{day, start, end}` in an organization's own time zone), read
the same way by every service that reasons about schedules."""

from __future__ import annotations

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def day_index(day: str) -> int | None:
    """0 for Monday ... 6 for Sunday; accepts "Tue", "tuesday", "TUESDAY"."""
    key = day.strip().lower()[:3]
    return next((i for i, d in enumerate(DAYS) if d.startswith(key)), None) if key else None


def minutes_of(text: str) -> int:
    """ "18:30" -> 1110; raises ValueError on anything else."""
    hours, _, minutes = text.strip().partition(":")
    return int(hours) * 60 + int(minutes or 0)


def window_minutes(start: str, end: str) -> tuple[int, int]:
    """A window's start and end in minutes from its day's midnight; an end at or before the
    start means the window crosses midnight."""
    begin, finish = minutes_of(start), minutes_of(end)
    if finish <= begin:
        finish += 24 * 60
    return begin, finish
