"""Which dead letters a `commonweave dlq` command means: `--since` forms and the filters, and
the headers a replay sends (the event's own, without the consumer's `dlq_*`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from deploy.dlq.letters import DeadLetter, dlq_name
from deploy.dlq.selection import parse_since, select

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def letter(topic: str, offset: int, minutes_ago: int, reason: str) -> DeadLetter:
    return DeadLetter(
        topic=dlq_name(topic),
        partition=0,
        offset=offset,
        timestamp=NOW - timedelta(minutes=minutes_ago),
        key=b"org_1",
        body=b"{}",
        headers=(
            ("ce_id", b"evt_1"),
            ("traceparent", b"00-abc-def-01"),
            ("dlq_reason", reason.encode()),
            ("dlq_consumer", b"notifications"),
            ("dlq_source_topic", topic.encode()),
        ),
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", NOW - timedelta(minutes=30)),
        ("2h", NOW - timedelta(hours=2)),
        ("7d", NOW - timedelta(days=7)),
        ("2026-12-06T10:00:00", datetime(2026, 12, 6, 10, 0, tzinfo=UTC)),
        ("2026-12-06T10:00:00+02:00", datetime(2026, 12, 6, 8, 0, tzinfo=UTC)),
    ],
)
def test_since_takes_durations_and_iso_times(text: str, expected: datetime) -> None:
    assert parse_since(text, NOW) == expected


def test_since_names_itself_when_it_cannot_be_read() -> None:
    with pytest.raises(ValueError, match="--since"):
        parse_since("yesterday", NOW)


def test_filters_by_topic_either_name_time_and_reason() -> None:
    letters = [
        letter("organization.registered", 2, 10, "failed after 5 attempts: KeyError"),
        letter("organization.registered", 1, 300, "unparseable event: bad JSON"),
        letter("match.suggested", 1, 5, "failed after 5 attempts: Boom"),
    ]
    ids = [x.id for x in select(letters, topic="organization.registered")]
    assert ids == ["organization.registered.dlq:0:1", "organization.registered.dlq:0:2"]
    assert select(letters, topic="organization.registered.dlq") == select(
        letters, topic="organization.registered"
    )
    recent = select(letters, since=NOW - timedelta(hours=1), reason="FAILED AFTER")
    assert [x.source_topic for x in recent] == ["organization.registered", "match.suggested"]


def test_a_replay_carries_the_events_headers_without_the_dlq_ones() -> None:
    dead = letter("organization.registered", 3, 1, "failed")
    assert dead.original_headers() == [("ce_id", b"evt_1"), ("traceparent", b"00-abc-def-01")]
    assert dead.id == "organization.registered.dlq:0:3"
    assert dead.ledger_key.startswith(dead.id + "@")
