"""Partnership health and organization reliability: plain arithmetic over what partners did.

Health blends four named parts, each in [0, 1]:
- follow_through: closed commitments, each kept on time = 1, kept late = 0.5, missed = 0
  (cancelled ones are left out): the field report's "follow-through builds reliability";
- check_in_regularity: the share of elapsed check-in periods (by cadence) with a check-in:
  "regular check-ins build trust", so a missed check-in counts against it;
- feedback: the average rating mapped to [0, 1], nudged by its trend (recent against earlier);
- engagement: participants reached and contributions logged, saturating so that the first
  few count most.
A part with nothing to measure yet is left out and the others are re-weighted; with no part
at all the score is a neutral 0.5.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.contracts import HealthPart

WEIGHTS: dict[str, float] = {
    "follow_through": 0.35,
    "check_in_regularity": 0.25,
    "feedback": 0.25,
    "engagement": 0.15,
}
NEUTRAL = 0.5
LATE_CREDIT = 0.5
# Reliability is smoothed towards neutral by this many imaginary commitments, so one missed
# promise does not brand a newcomer unreliable.
RELIABILITY_PRIOR = 2.0


@dataclass(frozen=True)
class ClosedCommitment:
    status: str  # done, missed or cancelled
    due_at: datetime
    closed_at: datetime


@dataclass(frozen=True)
class Rating:
    at: datetime
    rating: int


@dataclass(frozen=True)
class Record:
    """Everything health is computed from, for one partnership at one moment."""

    formed_at: datetime
    cadence_days: int
    commitments: Sequence[ClosedCommitment]
    check_ins: Sequence[datetime]
    ratings: Sequence[Rating]
    participants_reached: int
    contributions: int
    now: datetime


@dataclass(frozen=True)
class Health:
    score: float
    parts: list[HealthPart]

    @property
    def label(self) -> str:
        if not self.parts:
            return "new"
        return "thriving" if self.score >= 0.75 else "steady" if self.score >= 0.5 else "at risk"


def credit(c: ClosedCommitment) -> float | None:
    if c.status == "done":
        return 1.0 if c.closed_at <= c.due_at else LATE_CREDIT
    if c.status == "missed":
        return 0.0
    return None


def follow_through(commitments: Sequence[ClosedCommitment]) -> tuple[float, str] | None:
    credits = [x for x in (credit(c) for c in commitments) if x is not None]
    if not credits:
        return None
    kept = sum(1 for c in commitments if c.status == "done")
    on_time = sum(1 for x in credits if x == 1.0)
    detail = f"{kept} of {len(credits)} commitments kept, {on_time} on time"
    return sum(credits) / len(credits), detail


def periods_elapsed(formed_at: datetime, cadence_days: int, now: datetime) -> int:
    return max(0, int((now - formed_at) / timedelta(days=cadence_days)))


def check_in_regularity(record: Record) -> tuple[float, str] | None:
    periods = periods_elapsed(record.formed_at, record.cadence_days, record.now)
    if periods == 0:
        return None
    period = timedelta(days=record.cadence_days)
    held = {
        int((at - record.formed_at) / period)
        for at in record.check_ins
        if record.formed_at <= at < record.formed_at + periods * period
    }
    return len(held) / periods, f"{len(held)} of {periods} check-ins held"


def feedback(ratings: Sequence[Rating]) -> tuple[float, str] | None:
    if not ratings:
        return None
    ordered = [r.rating for r in sorted(ratings, key=lambda r: r.at)]
    average = sum(ordered) / len(ordered)
    trend = 0.0
    if len(ordered) >= 4:
        half = len(ordered) // 2
        trend = sum(ordered[half:]) / (len(ordered) - half) - sum(ordered[:half]) / half
    score = min(1.0, max(0.0, (average - 1) / 4 + trend / 8))
    direction = "rising" if trend > 0 else "falling" if trend < 0 else "steady"
    return score, f"average {average:.1f}/5 from {len(ordered)} ratings, {direction}"


def engagement(participants: int, contributions: int) -> tuple[float, str] | None:
    if participants == 0 and contributions == 0:
        return None
    score = 0.5 * participants / (participants + 50) + 0.5 * contributions / (contributions + 5)
    return score, f"{participants} participants reached, {contributions} contributions"


def health(record: Record) -> Health:
    measured = {
        "follow_through": follow_through(record.commitments),
        "check_in_regularity": check_in_regularity(record),
        "feedback": feedback(record.ratings),
        "engagement": engagement(record.participants_reached, record.contributions),
    }
    parts = [
        HealthPart(name=name, score=round(value[0], 4), weight=WEIGHTS[name], detail=value[1])
        for name, value in measured.items()
        if value is not None
    ]
    total = sum(p.weight for p in parts)
    score = sum(p.score * p.weight for p in parts) / total if total else NEUTRAL
    return Health(round(score, 4), parts)


def reliability(commitments: Sequence[ClosedCommitment]) -> tuple[float, int]:
    """An organization's follow-through across all its partnerships, smoothed towards neutral;
    with the number of closed commitments it rests on."""
    credits = [x for x in (credit(c) for c in commitments) if x is not None]
    score = (sum(credits) + NEUTRAL * RELIABILITY_PRIOR) / (len(credits) + RELIABILITY_PRIOR)
    return round(score, 4), len(credits)
