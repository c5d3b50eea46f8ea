"""Partnership health and organization reliability: plain arithmetic over what partners did.

Health blends four named parts, each in [0, 1]:
- follow_through: closed commitments, each kept on time = 1, kept late = 0.5, missed = 0
  (cancelled ones are left out): the field report's "follow-through builds reliability";
- check_in_regularity: the share of elapsed check-in periods (by cadence) with a check-in:
  "regular check-ins build trust", so a missed check-in counts against it;
- feedback: two sources blended, `partners` (the partners' ratings: average mapped to [0, 1],
  nudged by its trend, recent against earlier) and `community` (residents' ratings from the
  public community voice pages, average mapped to [0, 1]), weighted by `FEEDBACK_SOURCES`;
  a source with no rating yet is left out and the other takes the whole part;
- engagement: participants reached and contributions logged, saturating so that the first
  few count most.
A part with nothing to measure yet is left out and the others are re-weighted; with no part
at all the score is a neutral 0.5.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.contracts import HealthPart, HealthSource

WEIGHTS: dict[str, float] = {
    "follow_through": 0.35,
    "check_in_regularity": 0.25,
    "feedback": 0.25,
    "engagement": 0.15,
}
# The feedback part's sources. Partners see the work up close and rate it again and again;
# residents are the people it is for, and their voice moves health visibly, but a handful of
# anonymous answers should not outweigh the partners' own account (the field report: success
# "blends numbers with people's experience").
FEEDBACK_SOURCES: dict[str, float] = {"partners": 0.6, "community": 0.4}
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
    community: Sequence[Rating] = ()  # residents' ratings from the community voice pages


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


def partners_feedback(ratings: Sequence[Rating]) -> tuple[float, str] | None:
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


def community_feedback(ratings: Sequence[Rating]) -> tuple[float, str] | None:
    if not ratings:
        return None
    average = sum(r.rating for r in ratings) / len(ratings)
    noun = "response" if len(ratings) == 1 else "responses"
    return (average - 1) / 4, f"average {average:.1f}/5 from {len(ratings)} {noun}"


def feedback_sources(
    ratings: Sequence[Rating], community: Sequence[Rating] = ()
) -> list[HealthSource]:
    measured = {
        "partners": (partners_feedback(ratings), len(ratings)),
        "community": (community_feedback(community), len(community)),
    }
    return [
        HealthSource(
            name=name,
            score=round(value[0], 4),
            weight=FEEDBACK_SOURCES[name],
            count=count,
            detail=value[1],
        )
        for name, (value, count) in measured.items()
        if value is not None
    ]


def feedback(
    ratings: Sequence[Rating], community: Sequence[Rating] = ()
) -> tuple[float, str, list[HealthSource]] | None:
    """The partners' and the community's ratings, each its own source, blended by
    `FEEDBACK_SOURCES` (re-weighted over the sources that have a rating)."""
    sources = feedback_sources(ratings, community)
    if not sources:
        return None
    total = sum(s.weight for s in sources)
    score = sum(s.score * s.weight for s in sources) / total
    if len(sources) == 1 and sources[0].name == "partners":
        return score, sources[0].detail, sources  # as before community voices existed
    detail = "; ".join(f"{s.name} {s.detail}" for s in sources)
    return score, detail, sources


def engagement(participants: int, contributions: int) -> tuple[float, str] | None:
    if participants == 0 and contributions == 0:
        return None
    score = 0.5 * participants / (participants + 50) + 0.5 * contributions / (contributions + 5)
    return score, f"{participants} participants reached, {contributions} contributions"


def health(record: Record) -> Health:
    blended = feedback(record.ratings, record.community)
    measured = {
        "follow_through": follow_through(record.commitments),
        "check_in_regularity": check_in_regularity(record),
        "feedback": blended[:2] if blended else None,
        "engagement": engagement(record.participants_reached, record.contributions),
    }
    parts = [
        HealthPart(
            name=name,
            score=round(value[0], 4),
            weight=WEIGHTS[name],
            detail=value[1],
            sources=blended[2] if name == "feedback" and blended else [],
        )
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
