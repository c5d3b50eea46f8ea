"""Meeting times across time zones, through daylight-saving changes that happen on different
dates on each side of the Atlantic (US: 8 March 2026, UK: 29 March 2026)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.commitments.domain.meetings import Schedule, meeting_slots

NEW_YORK = Schedule("org_ny", "America/New_York", [("monday", "18:00", "20:00")])
LONDON = Schedule("org_ldn", "Europe/London", [("Mon", "22:00", "00:00")])  # to midnight
START = datetime(2026, 3, 1, tzinfo=UTC)


def utc(month: int, day: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def test_the_overlap_moves_with_each_side_s_clock_change() -> None:
    slots = meeting_slots([NEW_YORK, LONDON], START, days=35, limit=5)
    assert [s.start for s in slots] == [
        utc(3, 2, 23),  # both on winter time: New York 18:00 is 23:00 UTC, one hour left
        utc(3, 9, 22),  # New York moved to EDT, London not yet: 22:00-24:00 UTC overlap
        utc(3, 16, 22),
        utc(3, 23, 22),
        utc(3, 30, 22),  # both on summer time: London 23:00 BST, New York 18:00 EDT
    ]
    first, last = slots[0], slots[-1]
    assert first.local_starts["org_ny"].hour == 18 and first.local_starts["org_ldn"].hour == 23
    assert last.local_starts["org_ny"].hour == 18 and last.local_starts["org_ldn"].hour == 23
    assert all(s.end - s.start == timedelta(hours=1) for s in slots)


def test_a_longer_meeting_fits_only_while_the_clocks_disagree() -> None:
    slots = meeting_slots([NEW_YORK, LONDON], START, days=35, duration=timedelta(minutes=90))
    assert [s.start for s in slots] == [utc(3, 9, 22), utc(3, 16, 22), utc(3, 23, 22)]


def test_slots_start_after_now_rounded_to_a_quarter_hour() -> None:
    now = datetime(2026, 3, 9, 22, 7, tzinfo=UTC)
    slots = meeting_slots([NEW_YORK, LONDON], now, days=1, limit=1)
    assert slots[0].start == datetime(2026, 3, 9, 22, 15, tzinfo=UTC)


def test_no_common_time_gives_no_slots() -> None:
    morning = Schedule("org_m", "UTC", [("tuesday", "08:00", "09:00")])
    assert meeting_slots([NEW_YORK, morning], START, days=14) == []
    assert meeting_slots([], START) == []


def test_a_window_in_the_spring_forward_gap_starts_after_the_jump() -> None:
    early = Schedule("org_early", "America/New_York", [("sunday", "02:30", "04:00")])
    after = datetime(2026, 3, 7, tzinfo=UTC)
    # 02:30 does not exist on 8 March in New York: the window runs 03:30-04:00 EDT that day,
    # too short for an hour, long enough for half an hour (07:30 UTC)
    assert meeting_slots([early], after, days=2) == []
    slots = meeting_slots([early], after, days=2, duration=timedelta(minutes=30))
    assert slots[0].start == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert slots[0].local_starts["org_early"].hour == 3
