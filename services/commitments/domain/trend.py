"""Health over time: the score each check-in period ended on, the direction of the last few
periods, and the early warnings a fall deserves. Pure: stored points in, values out.

- `trend`: the score now against the score the partnership stood at `TREND_PERIODS` period
  ends ago, or at formation while fewer periods have ended (formation counts as period end
  zero): up by more than `STEADY_BAND` is improving, down by more is declining, else steady.
- `early_warnings`: health fell at two period ends in a row (each by at least `MIN_FALL`),
  or crossed into "at risk". Each warning has a key naming its crossing (the period its
  falling streak started in, or how many times health entered "at risk" before), so the same
  crossing, however often health is recomputed, is one warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.contracts import HealthPart
from shared.contracts.commitments import HealthTrend, HealthWarningReason

AT_RISK = "at risk"
TREND_PERIODS = 3
STEADY_BAND = 0.02
MIN_FALL = 0.01
PART_NAMES = {
    "follow_through": "Follow-through",
    "check_in_regularity": "Check-in regularity",
    "feedback": "Feedback",
    "engagement": "Engagement",
}


@dataclass(frozen=True)
class Point:
    """Health as it stood from `at` until the next point."""

    at: datetime
    score: float
    label: str
    parts: Sequence[HealthPart]


@dataclass(frozen=True)
class Warning:
    reason: HealthWarningReason
    key: str
    score: float
    previous_score: float
    part: HealthPart  # the part that fell most
    part_previous_score: float
    summary: str


def standing_at(points: Sequence[Point], moment: datetime) -> Point | None:
    """The point in force at `moment` (points oldest first)."""
    found = None
    for point in points:
        if point.at > moment:
            break
        found = point
    return found


def period_ends(formed_at: datetime, cadence_days: int, now: datetime) -> list[datetime]:
    """Every check-in period's end before `now`, oldest first, then `now` (the period running)."""
    period = timedelta(days=cadence_days)
    ends = []
    k = 1
    while formed_at + k * period < now:
        ends.append(formed_at + k * period)
        k += 1
    return [*ends, now]


def period_scores(
    points: Sequence[Point], formed_at: datetime, cadence_days: int, now: datetime
) -> list[tuple[int, Point]]:
    """(period index, the point it ended on) for each period end with a point, oldest first;
    the last is the period running now."""
    ends = period_ends(formed_at, cadence_days, now)
    found = [(i, standing_at(points, end)) for i, end in enumerate(ends)]
    return [(i, p) for i, p in found if p is not None]


def trend_since_formation(
    points: Sequence[Point], formed_at: datetime, cadence_days: int, now: datetime
) -> HealthTrend:
    """Direction of health now against `TREND_PERIODS` period ends ago, or against formation
    while fewer have ended: a partnership that fell within its first period is declining."""
    if not points:
        return HealthTrend.STEADY
    # The point in force at formation (the neutral one written with the partnership); the
    # first point if the clock put it a moment after `formed_at`.
    formation = standing_at(points, formed_at) or points[0]
    ended = [p.score for _, p in period_scores(points, formed_at, cadence_days, now)]
    return trend([formation.score, *ended])


def trend(scores: Sequence[float], band: float = STEADY_BAND) -> HealthTrend:
    """Direction of period-end scores (oldest first) over the last `TREND_PERIODS` periods."""
    window = list(scores)[-(TREND_PERIODS + 1) :]
    if len(window) < 2:
        return HealthTrend.STEADY
    change = window[-1] - window[0]
    if change > band:
        return HealthTrend.IMPROVING
    if change < -band:
        return HealthTrend.DECLINING
    return HealthTrend.STEADY


def fallen_part(before: Point, after: Point) -> tuple[HealthPart, float] | None:
    """The part whose fall cost the score most, with its score before. A part that was not
    measured before is compared with the whole score before (it is what it re-weighted)."""
    previous = {p.name: p.score for p in before.parts}
    best: tuple[float, HealthPart, float] | None = None
    for part in after.parts:
        was = previous.get(part.name, before.score)
        cost = (was - part.score) * part.weight
        if cost > 0 and (best is None or cost > best[0]):
            best = (cost, part, was)
    return None if best is None else (best[1], best[2])


def describe(
    reason: HealthWarningReason, before: Point, after: Point
) -> tuple[HealthPart, float, str]:
    fell = fallen_part(before, after)
    if fell is None:  # every part held; the lowest is the one to look at
        part = min(after.parts, key=lambda p: p.score)
        fell = (part, part.score)
    part, was = fell
    name = PART_NAMES.get(part.name, part.name.replace("_", " ").capitalize())
    headline = (
        "Health is at risk"
        if reason is HealthWarningReason.AT_RISK
        else "Health fell two check-in periods in a row"
    )
    summary = (
        f"{headline} ({before.score:.2f} → {after.score:.2f}). {name} fell from {was:.2f} "
        f"to {part.score:.2f}: {part.detail}."
    )
    return part, was, summary


def times_entered_at_risk(points: Sequence[Point]) -> int:
    entered, was = 0, None
    for point in points:
        if point.label == AT_RISK and was != AT_RISK:
            entered += 1
        was = point.label
    return entered


def falling_streak(periods: Sequence[tuple[int, Point]], min_fall: float) -> int:
    """How many period ends in a row (up to now) health fell at."""
    streak = 0
    for (_, earlier), (_, later) in zip(reversed(periods[:-1]), reversed(periods[1:]), strict=True):
        if earlier.score - later.score < min_fall:
            break
        streak += 1
    return streak


def early_warnings(
    history: Sequence[Point],
    current: Point,
    formed_at: datetime,
    cadence_days: int,
    min_fall: float = MIN_FALL,
) -> list[Warning]:
    """What the change from `history` (points so far, oldest first) to `current` warns of."""
    warnings = []
    if history and current.parts:
        last = history[-1]
        if current.label == AT_RISK and last.label != AT_RISK:
            part, was, summary = describe(HealthWarningReason.AT_RISK, last, current)
            key = f"{HealthWarningReason.AT_RISK.value}:{times_entered_at_risk(history) + 1}"
            warnings.append(
                Warning(
                    HealthWarningReason.AT_RISK, key, current.score, last.score, part, was, summary
                )
            )
    periods = period_scores([*history, current], formed_at, cadence_days, current.at)
    streak = falling_streak(periods, min_fall)
    if streak >= 2 and current.parts:
        start_index, start = periods[-1 - streak]
        part, was, summary = describe(HealthWarningReason.DECLINING, start, current)
        warnings.append(
            Warning(
                HealthWarningReason.DECLINING,
                f"{HealthWarningReason.DECLINING.value}:{start_index}",
                current.score,
                start.score,
                part,
                was,
                summary,
            )
        )
    return warnings
