"""Which letters a command means: the `--since` forms and the list filters (pure, no I/O)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from deploy.dlq.letters import DeadLetter, dlq_name

AGO = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_since(value: str, now: datetime) -> datetime:
    """`30m`, `2h`, `7d` (before now) or an ISO-8601 instant (UTC when it names no offset)."""
    text = value.strip()
    ago = AGO.match(text)
    if ago:
        return now - timedelta(**{UNITS[ago.group(2)]: float(ago.group(1))})
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(
            f"--since: {value!r} is neither a duration (30m, 2h, 7d) nor an ISO-8601 time"
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def select(
    letters: Iterable[DeadLetter],
    *,
    topic: str | None = None,
    since: datetime | None = None,
    reason: str | None = None,
) -> list[DeadLetter]:
    """Letters of the topic (either name), dead-lettered at or after `since`, whose reason
    contains `reason` (any case); oldest first."""
    wanted = dlq_name(topic) if topic else None
    needle = reason.lower() if reason else None
    chosen = [
        letter
        for letter in letters
        if (wanted is None or letter.topic == wanted)
        and (since is None or letter.timestamp >= since)
        and (needle is None or needle in letter.reason.lower())
    ]
    return sorted(chosen, key=lambda letter: (letter.timestamp, letter.id))
