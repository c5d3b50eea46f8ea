"""Time-zone names as every service validates them: IANA names only."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def check_time_zone(value: str) -> str:
    """The name if it is a known IANA zone; a ValueError (a clear input error) otherwise."""
    try:
        ZoneInfo(value)
    # "America" is a directory, a very long name is too long for the file system
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(
            f"unknown time zone {value!r} (use an IANA name like Europe/Paris)"
        ) from exc
    return value
