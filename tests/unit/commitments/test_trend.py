"""Health over time on hand-made histories: the direction of the last check-in periods, and the
early warnings (two falls in a row, or crossing into "at risk"), each once per crossing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.commitments.domain.trend import (
    Point,
    early_warnings,
    period_ends,
    period_scores,
    trend,
    trend_since_formation,
)
from shared.contracts import HealthPart
from shared.contracts.commitments import HealthTrend, HealthWarningReason

FORMED = datetime(2027, 1, 4, tzinfo=UTC)
WEEK = 7


def day(n: float) -> datetime:
    return FORMED + timedelta(days=n)


def point(at: float, score: float, check_ins: float | None = None, label: str = "") -> Point:
    parts = [HealthPart(name="follow_through", score=1.0, weight=0.35, detail="1 of 1 kept")]
    if check_ins is not None:
        parts.append(
            HealthPart(
                name="check_in_regularity", score=check_ins, weight=0.25, detail="2 of 4 held"
            )
        )
    label = label or ("thriving" if score >= 0.75 else "steady" if score >= 0.5 else "at risk")
    return Point(day(at), score, label, parts)


def test_period_ends_are_each_whole_period_before_now_then_now() -> None:
    assert period_ends(FORMED, WEEK, day(15)) == [day(7), day(14), day(15)]
    assert period_ends(FORMED, WEEK, day(14)) == [day(7), day(14)]
    assert period_ends(FORMED, WEEK, day(3)) == [day(3)]


def test_each_period_ends_on_the_point_in_force_then() -> None:
    points = [Point(FORMED, 0.5, "new", []), point(2, 0.9), point(9, 0.8)]
    ended = period_scores(points, FORMED, WEEK, day(16))
    assert [(i, p.score) for i, p in ended] == [(0, 0.9), (1, 0.8), (2, 0.8)]


def test_trend_compares_now_with_three_period_ends_ago_within_a_steady_band() -> None:
    assert trend([0.5, 0.6, 0.7, 0.8]) is HealthTrend.IMPROVING
    assert trend([0.2, 0.9, 0.8, 0.8, 0.7]) is HealthTrend.DECLINING  # 0.2 is older than the window
    assert trend([0.70, 0.9, 0.5, 0.71]) is HealthTrend.STEADY
    assert trend([0.7]) is HealthTrend.STEADY
    assert trend([]) is HealthTrend.STEADY


def formed(*moves: tuple[float, float]) -> list[Point]:
    """A history from the neutral point at formation, then (day, score) moves."""
    return [Point(FORMED, 0.5, "new", []), *(point(at, score) for at, score in moves)]


def test_in_the_first_period_the_trend_is_against_formation() -> None:
    # 0.5 at formation, then 1.0, 0.5 and 0.33 within the first week: it fell.
    history = formed((1, 1.0), (3, 0.5), (5, 0.33))
    assert trend_since_formation(history, FORMED, WEEK, day(6)) is HealthTrend.DECLINING
    assert trend_since_formation(formed((1, 0.9)), FORMED, WEEK, day(2)) is HealthTrend.IMPROVING
    assert trend_since_formation(formed((1, 0.51)), FORMED, WEEK, day(2)) is HealthTrend.STEADY


def test_in_the_second_and_third_periods_formation_is_still_the_reference() -> None:
    # Second period: ended the first on 0.9, now 0.6; against formation (0.5) it rose.
    second = formed((2, 0.9), (9, 0.6))
    assert trend_since_formation(second, FORMED, WEEK, day(10)) is HealthTrend.IMPROVING
    # Third period: 0.9 and 0.8 at the two ends, now 0.45, below formation's 0.5.
    third = formed((2, 0.9), (9, 0.8), (16, 0.45))
    assert trend_since_formation(third, FORMED, WEEK, day(17)) is HealthTrend.DECLINING


def test_once_three_periods_have_ended_formation_no_longer_counts() -> None:
    # Fourth period: ends on 0.9, 0.8, 0.7, now 0.6 — against the first end (0.9), not
    # against formation's 0.5.
    fourth = formed((2, 0.9), (9, 0.8), (16, 0.7), (22, 0.6))
    assert trend_since_formation(fourth, FORMED, WEEK, day(23)) is HealthTrend.DECLINING
    assert trend_since_formation([], FORMED, WEEK, day(23)) is HealthTrend.STEADY


def test_two_falls_in_a_row_warn_once_naming_the_part_that_fell() -> None:
    history = [Point(FORMED, 0.5, "new", []), point(1, 0.9, 1.0), point(8, 0.8, 0.5)]
    now = point(15, 0.7, 0.33)
    [warning] = early_warnings(history, now, FORMED, WEEK)
    assert warning.reason is HealthWarningReason.DECLINING
    assert (warning.previous_score, warning.score) == (0.9, 0.7)
    assert warning.part.name == "check_in_regularity" and warning.part_previous_score == 1.0
    assert "Check-in regularity fell from 1.00 to 0.33: 2 of 4 held" in warning.summary
    # The same streak recomputed later in the period has the same key: one warning.
    again = early_warnings([*history, now], point(16, 0.65, 0.3), FORMED, WEEK)
    assert [w.key for w in again] == [warning.key]


def test_one_fall_or_a_fall_then_a_rise_does_not_warn() -> None:
    history = [Point(FORMED, 0.5, "new", []), point(1, 0.9, 1.0)]
    assert early_warnings(history, point(8, 0.8, 0.5), FORMED, WEEK) == []
    rose = [*history, point(8, 0.8, 0.5)]
    assert early_warnings(rose, point(15, 0.85, 0.6), FORMED, WEEK) == []


def test_crossing_into_at_risk_warns_once_per_crossing() -> None:
    history = [Point(FORMED, 0.5, "new", []), point(1, 0.6, 1.0)]
    [first] = early_warnings(history, point(2, 0.4, 0.2), FORMED, WEEK)
    assert first.reason is HealthWarningReason.AT_RISK and first.key == "at_risk:1"
    assert first.part.name == "check_in_regularity"
    history += [point(2, 0.4, 0.2)]
    # still at risk: no new crossing
    assert early_warnings(history, point(3, 0.35, 0.1), FORMED, WEEK) == []
    # out and back in: a second crossing, its own key
    history += [point(3, 0.6, 0.9)]
    [second] = early_warnings(history, point(4, 0.45, 0.3), FORMED, WEEK)
    assert second.key == "at_risk:2"


def test_a_new_partnership_with_nothing_measured_does_not_warn() -> None:
    assert early_warnings([], point(0, 0.5), FORMED, WEEK) == []
    assert early_warnings([point(0, 0.6)], Point(day(1), 0.5, "new", []), FORMED, WEEK) == []
