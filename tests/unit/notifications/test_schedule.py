"""When email goes out: quiet hours (wrapping past midnight, across DST changes) and the daily
digest, as pure decisions of the preferences and an instant."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from services.notifications.domain.preferences import KindChannels, Preferences, QuietHours
from services.notifications.domain.schedule import EmailPlan, next_digest, plan_email, quiet_until

NY = ZoneInfo("America/New_York")
NIGHT = QuietHours(start="22:00", end="07:00")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_outside_quiet_hours_nothing_is_held() -> None:
    assert quiet_until(utc(2026, 6, 10, 16, 0), NIGHT, NY) is None  # 12:00 in New York
    assert quiet_until(utc(2026, 6, 10, 11, 0), NIGHT, NY) is None  # 07:00 sharp: over


def test_quiet_hours_wrap_past_midnight() -> None:
    # 23:30 EDT on June 10 -> held until 07:00 EDT on June 11
    assert quiet_until(utc(2026, 6, 11, 3, 30), NIGHT, NY) == utc(2026, 6, 11, 11, 0)
    # 05:00 EDT on June 11 -> the same morning
    assert quiet_until(utc(2026, 6, 11, 9, 0), NIGHT, NY) == utc(2026, 6, 11, 11, 0)


def test_quiet_hours_within_one_day() -> None:
    lunch = QuietHours(start="12:00", end="13:30")
    assert quiet_until(utc(2026, 6, 10, 16, 15), lunch, NY) == utc(2026, 6, 10, 17, 30)
    assert quiet_until(utc(2026, 6, 10, 15, 59), lunch, NY) is None


def test_spring_forward_night_is_an_hour_shorter() -> None:
    # 2026-03-08: 02:00 EST becomes 03:00 EDT. At 01:30 EST (06:30 UTC) the quiet hours end
    # at 07:00 EDT = 11:00 UTC: 4.5 hours later, not 5.5.
    assert quiet_until(utc(2026, 3, 8, 6, 30), NIGHT, NY) == utc(2026, 3, 8, 11, 0)


def test_fall_back_night_is_an_hour_longer() -> None:
    # 2026-11-01: 02:00 EDT becomes 01:00 EST. At 01:30 EDT (05:30 UTC) the quiet hours end
    # at 07:00 EST = 12:00 UTC.
    assert quiet_until(utc(2026, 11, 1, 5, 30), NIGHT, NY) == utc(2026, 11, 1, 12, 0)


def test_an_end_time_that_happens_twice_holds_until_the_next_one() -> None:
    # quiet until 01:30; at 01:10 EST (the second 01:10 of Nov 1) the first 01:30 (EDT) is
    # past, so the email waits for 01:30 EST = 06:30 UTC.
    short = QuietHours(start="23:00", end="01:30")
    assert quiet_until(utc(2026, 11, 1, 6, 10), short, NY) == utc(2026, 11, 1, 6, 30)


def test_an_end_time_skipped_by_spring_forward_ends_after_the_gap() -> None:
    gap = QuietHours(start="23:00", end="02:30")  # 02:30 does not exist on 2026-03-08
    until = quiet_until(utc(2026, 3, 8, 6, 0), gap, NY)  # 01:00 EST
    assert until == utc(2026, 3, 8, 7, 30)  # 03:30 EDT
    assert until.astimezone(NY).hour == 3


def test_the_digest_goes_at_the_next_local_hour() -> None:
    # 09:00 EDT: today's 08:00 is past, so tomorrow's
    assert next_digest(utc(2026, 6, 10, 13, 0), 8, NY) == (
        date(2026, 6, 11),
        utc(2026, 6, 11, 12, 0),
    )
    assert next_digest(utc(2026, 6, 10, 11, 0), 8, NY) == (
        date(2026, 6, 10),
        utc(2026, 6, 10, 12, 0),
    )


def test_the_digest_hour_follows_the_clock_across_dst() -> None:
    # Saturday 09:00 EST -> Sunday 08:00 EDT (12:00 UTC, not 13:00)
    assert next_digest(utc(2026, 3, 7, 14, 0), 8, NY) == (date(2026, 3, 8), utc(2026, 3, 8, 12, 0))


def test_email_switched_off_for_a_kind_is_not_planned() -> None:
    prefs = Preferences(channels=[KindChannels(kind="match.suggested", channels=["INBOX"])])
    now = utc(2026, 6, 10, 16, 0)
    assert plan_email(prefs, "match.suggested", now, 8) is None
    assert plan_email(prefs, "milestone.reached", now, 8) == EmailPlan(now)


def test_default_channels_apply_to_unlisted_kinds() -> None:
    prefs = Preferences(default_channels=["INBOX"])
    assert plan_email(prefs, "milestone.reached", utc(2026, 6, 10, 16, 0), 8) is None


def test_email_in_quiet_hours_is_held_until_they_end() -> None:
    prefs = Preferences(quiet_hours=NIGHT, time_zone="America/New_York")
    plan = plan_email(prefs, "milestone.reached", utc(2026, 6, 11, 3, 30), 8)
    assert plan == EmailPlan(utc(2026, 6, 11, 11, 0), held=True)


def test_digest_members_get_the_next_digest_at_their_hour_or_the_default() -> None:
    prefs = Preferences(digest="DAILY", time_zone="America/New_York")
    now = utc(2026, 6, 10, 16, 0)  # 12:00 EDT
    assert plan_email(prefs, "milestone.reached", now, 8) == EmailPlan(
        utc(2026, 6, 11, 12, 0), digest_day=date(2026, 6, 11)
    )
    evening = prefs.model_copy(update={"digest_hour": 18})
    assert plan_email(evening, "milestone.reached", now, 8) == EmailPlan(
        utc(2026, 6, 10, 22, 0), digest_day=date(2026, 6, 10)
    )


def test_a_digest_hour_inside_quiet_hours_waits_for_their_end() -> None:
    prefs = Preferences(
        digest="DAILY", digest_hour=6, quiet_hours=NIGHT, time_zone="America/New_York"
    )
    plan = plan_email(prefs, "milestone.reached", utc(2026, 6, 10, 16, 0), 8)
    assert plan == EmailPlan(utc(2026, 6, 11, 11, 0), held=True, digest_day=date(2026, 6, 11))
