"""Health and reliability arithmetic on cases computed by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.commitments.domain.health import (
    ClosedCommitment,
    Rating,
    Record,
    health,
    reliability,
)

FORMED = datetime(2027, 1, 4, tzinfo=UTC)


def day(n: float) -> datetime:
    return FORMED + timedelta(days=n)


def commitment(status: str, due: float, closed: float) -> ClosedCommitment:
    return ClosedCommitment(status, day(due), day(closed))


def record(**changes: object) -> Record:
    base: dict[str, object] = {
        "formed_at": FORMED,
        "cadence_days": 7,
        "commitments": [],
        "check_ins": [],
        "ratings": [],
        "participants_reached": 0,
        "contributions": 0,
        "now": day(28) + timedelta(hours=1),
    }
    base.update(changes)
    return Record(**base)  # type: ignore[arg-type]


def test_a_new_partnership_is_neutral_with_no_parts() -> None:
    result = health(record(now=day(1)))
    assert (result.score, result.parts, result.label) == (0.5, [], "new")


def test_every_part_and_the_weighted_blend() -> None:
    result = health(
        record(
            # on time = 1, late = 0.5, missed = 0, cancelled left out: 1.5 / 3 = 0.5
            commitments=[
                commitment("done", due=10, closed=9),
                commitment("done", due=10, closed=12),
                commitment("missed", due=14, closed=15),
                commitment("cancelled", due=20, closed=3),
            ],
            # four weekly periods have passed; check-ins fell in periods 0, 1 and 3: 3 / 4
            check_ins=[day(1), day(9), day(22), day(23)],
            # average 3.5 -> 0.625; recent half 4.0 against earlier 3.0: +1 / 8 -> 0.75
            ratings=[Rating(day(i), r) for i, r in enumerate([2, 4, 4, 4])],
            # 50 / (50 + 50) / 2 + 5 / (5 + 5) / 2 = 0.5
            participants_reached=50,
            contributions=5,
        )
    )
    parts = {p.name: (p.score, p.weight) for p in result.parts}
    assert parts == {
        "follow_through": (0.5, 0.35),
        "check_in_regularity": (0.75, 0.25),
        "feedback": (0.75, 0.25),
        "engagement": (0.5, 0.15),
    }
    # 0.5 * 0.35 + 0.75 * 0.25 + 0.75 * 0.25 + 0.5 * 0.15
    assert result.score == pytest.approx(0.625)
    assert result.label == "steady"
    details = {p.name: p.detail for p in result.parts}
    assert details["follow_through"] == "2 of 3 commitments kept, 1 on time"
    assert details["check_in_regularity"] == "3 of 4 check-ins held"


def test_missing_parts_are_left_out_and_the_rest_reweighted() -> None:
    # Only check-ins measured: two periods, none held -> 0, whatever its weight.
    result = health(record(now=day(15)))
    assert [p.name for p in result.parts] == ["check_in_regularity"]
    assert result.score == 0.0
    assert result.label == "at risk"


def test_falling_feedback_pulls_the_part_down() -> None:
    rising = health(record(ratings=[Rating(day(i), r) for i, r in enumerate([3, 3, 5, 5])]))
    falling = health(record(ratings=[Rating(day(i), r) for i, r in enumerate([5, 5, 3, 3])]))
    score = {p.name: p.score for p in rising.parts}["feedback"]
    assert score == 1.0  # 0.75 + 2 / 8
    assert {p.name: p.score for p in falling.parts}["feedback"] == 0.5  # 0.75 - 2 / 8


def test_reliability_is_smoothed_towards_neutral() -> None:
    assert reliability([]) == (0.5, 0)
    kept_late_missed = [
        commitment("done", 10, 9),
        commitment("done", 10, 11),
        commitment("missed", 10, 11),
    ]
    # (1 + 0.5 + 0 + 0.5 * 2) / (3 + 2)
    assert reliability(kept_late_missed) == (0.5, 3)
    # (2 + 1) / (2 + 2)
    assert reliability([commitment("done", 10, 9)] * 2) == (0.75, 2)
    assert reliability([commitment("cancelled", 10, 9)]) == (0.5, 0)
