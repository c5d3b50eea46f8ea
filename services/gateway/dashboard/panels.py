"""The dashboard's panels as pure functions of what the GraphQL API answered (the documents
in `queries.py`, as plain dicts): no I/O, so each figure is unit-tested and, in the browser
test, compared with the API's own answers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from shared.i18n import Text

Doc = dict[str, Any]
SEVERITIES = (1, 2, 3, 4, 5)
DUE_SOON_DAYS = 14
# The API's contribution kinds, named as a coordinator says them (the issue's "hours, goods,
# space, funds": space and other in-kind help are SERVICES in the API).
KIND_LABELS = {
    "VOLUNTEER_HOURS": Text("Volunteer hours"),
    "MATERIALS": Text("Goods and materials"),
    "SERVICES": Text("Space and services"),
    "FUNDS": Text("Funds"),
}
WEAK_PART = 0.5  # a health part below this is shown beside its partnership, to watch


@dataclass(frozen=True)
class AreaRow:
    area: str
    by_severity: tuple[int, ...]  # counts for severity 1..5

    @property
    def total(self) -> int:
        return sum(self.by_severity)


@dataclass(frozen=True)
class DueRow:
    partnership: str
    title: str
    owner: str
    due_at: datetime
    days: int  # days until due (negative: overdue by that many)


@dataclass(frozen=True)
class KindRow:
    kind: str
    label: Text
    count: int
    estimated_value: float
    quantities: tuple[tuple[str, float], ...]  # (unit, summed quantity), by unit


@dataclass(frozen=True)
class HealthRow:
    id: str
    name: str
    status: str
    score: float
    label: str
    warnings: tuple[str, ...]  # the API's early warnings, newest first
    weak: tuple[str, ...]  # the parts below WEAK_PART, in their own words
    points: tuple[tuple[date, float], ...]
    trend: str | None  # IMPROVING, STEADY or DECLINING


def nodes(connection: Doc | None) -> list[Doc]:
    return [edge["node"] for edge in (connection or {}).get("edges", [])]


def needs_by_area(needs: Iterable[Doc]) -> list[AreaRow]:
    """Needs counted per area and severity, the areas with the most severe needs first."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * len(SEVERITIES))
    for need in needs:
        counts[need["area"]][need["severity"] - 1] += 1
    rows = [AreaRow(area, tuple(c)) for area, c in counts.items()]
    return sorted(rows, key=lambda r: (tuple(-n for n in reversed(r.by_severity)), r.area))


def unmatched_needs(needs: Iterable[Doc], partnerships: Iterable[Doc]) -> list[Doc]:
    """Needs no partnership (of those the caller sees) has taken up, most severe first."""
    taken = {p["needId"] for p in partnerships if p.get("needId")}
    left = [n for n in needs if n["id"] not in taken]
    return sorted(left, key=lambda n: (-n["severity"], n["area"], n["title"]))


def _names(partnership: Doc) -> dict[str, str]:
    return {o["id"]: o["name"] for o in partnership.get("organizations") or []}


def commitments_due(
    partnerships: Iterable[Doc], now: datetime, days: int = DUE_SOON_DAYS
) -> tuple[list[DueRow], list[DueRow]]:
    """Open commitments (overdue, due within `days`), each list soonest first."""
    overdue: list[DueRow] = []
    soon: list[DueRow] = []
    for p in partnerships:
        names = _names(p)
        for c in nodes(p.get("commitments")):
            due = datetime.fromisoformat(c["dueAt"])
            owner_id = str(c["ownerOrganizationId"])
            owner = names.get(owner_id, owner_id)
            # whole days: due in 2 days 23 hours is "2 days"; overdue by 4 days 5 hours, "-4"
            whole = -(now - due).days if due < now else (due - now).days
            row = DueRow(p["name"], c["title"], owner, due, whole)
            if due < now:
                overdue.append(row)
            elif due <= now + timedelta(days=days):
                soon.append(row)
    return sorted(overdue, key=lambda r: r.due_at), sorted(soon, key=lambda r: r.due_at)


def contributions_by_kind(partnerships: Iterable[Doc]) -> list[KindRow]:
    """Every kind of the API, summed across the partnerships (zero when none was logged)."""
    count: dict[str, int] = defaultdict(int)
    value: dict[str, float] = defaultdict(float)
    quantity: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for p in partnerships:
        for total in p.get("contributionTotals") or []:
            kind = total["kind"]
            count[kind] += total["count"]
            value[kind] += total["estimatedValue"]
            quantity[kind][total["unit"]] += total["quantity"]
    return [
        KindRow(kind, label, count[kind], value[kind], tuple(sorted(quantity[kind].items())))
        for kind, label in KIND_LABELS.items()
    ]


def health_points(partnership: Doc, today: date) -> list[tuple[date, float]]:
    """The dated health scores to draw: the partnership's `healthHistory`, or the current
    health as one point while it has none."""
    history = partnership.get("healthHistory")
    if history:
        return [(datetime.fromisoformat(h["at"]).date(), h["score"]) for h in history]
    return [(today, partnership["health"]["score"])]


@dataclass(frozen=True)
class HealthOverTime:
    """One partnership's health as a time series: what its chart and the chart's text
    alternative show."""

    name: str
    score: float  # now
    label: str
    trend: str | None
    points: tuple[tuple[datetime, float, str], ...]  # (at, score, label), oldest first
    warnings: tuple[tuple[datetime, float, str], ...]  # (at, score then, summary), oldest first
    until: datetime  # the last point holds until now


def health_over_time(partnership: Doc, now: datetime) -> HealthOverTime:
    """The partnership's `healthHistory` and `healthWarnings` as dated points (its current
    health alone, dated now, while it has no history)."""
    health = partnership["health"]
    points = tuple(
        (datetime.fromisoformat(h["at"]), h["score"], h.get("label") or "")
        for h in partnership.get("healthHistory") or []
    ) or ((now, health["score"], health["label"]),)
    warnings = tuple(
        sorted(
            (datetime.fromisoformat(w["at"]), w["score"], w["summary"])
            for w in partnership.get("healthWarnings") or []
        )
    )
    return HealthOverTime(
        partnership["name"],
        health["score"],
        health["label"],
        partnership.get("trend"),
        points,
        warnings,
        max(now, points[-1][0]),
    )


def health_rows(partnerships: Sequence[Doc], today: date) -> list[HealthRow]:
    """Each partnership with its health, trend and sparkline points; its early warnings
    (`healthWarnings`, newest first, with their dates); and the words of every health part
    below WEAK_PART, to watch. The weakest partnership first."""
    rows = []
    for p in partnerships:
        health = p["health"]
        warnings = tuple(
            f"{datetime.fromisoformat(w['at']).date().isoformat()}: {w['summary']}"
            for w in p.get("healthWarnings") or []
        )
        weak = tuple(
            f"{part['name'].replace('_', ' ')}: {part['detail']}"
            for part in health["parts"]
            if part["score"] < WEAK_PART
        )
        points = tuple(health_points(p, today))
        rows.append(
            HealthRow(
                p["id"],
                p["name"],
                p["status"],
                health["score"],
                health["label"],
                warnings,
                weak,
                points,
                p.get("trend"),
            )
        )
    return sorted(rows, key=lambda r: (r.score, r.name))
