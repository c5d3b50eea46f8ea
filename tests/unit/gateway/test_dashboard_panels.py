"""The dashboard's figures, from API answers written out by hand: needs per area and
severity, unmatched needs, commitments due and overdue, contributions per kind, health and
its warnings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.gateway.dashboard import panels

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def need(ident: str, area: str, severity: int) -> dict[str, Any]:
    return {"id": ident, "title": f"need {ident}", "area": area, "severity": severity}


def partnership(ident: str, **fields: Any) -> dict[str, Any]:
    health = {"score": 0.7, "label": "steady", "parts": []}
    return {
        "id": ident,
        "name": f"P {ident}",
        "status": "ACTIVE",
        "needId": None,
        "health": health,
        "organizations": [{"id": "o1", "name": "GreenLeaf"}],
        **fields,
    }


def commitments(*due: datetime) -> dict[str, Any]:
    edges = [
        {
            "node": {
                "id": f"c{i}",
                "title": f"c{i}",
                "dueAt": d.isoformat(),
                "ownerOrganizationId": "o1",
            }
        }
        for i, d in enumerate(due)
    ]
    return {"edges": edges}


def test_needs_are_counted_per_area_and_severity_most_severe_areas_first() -> None:
    rows = panels.needs_by_area(
        [
            need("1", "Westside", 2),
            need("2", "Westside", 2),
            need("3", "Downtown", 5),
            need("4", "Bethel", 2),
            need("5", "Westside", 4),
        ]
    )
    assert [r.area for r in rows] == ["Downtown", "Westside", "Bethel"]
    assert rows[1].by_severity == (0, 2, 0, 1, 0) and rows[1].total == 3
    assert panels.needs_by_area([]) == []


def test_a_need_a_partnership_took_up_is_not_unmatched() -> None:
    needs = [need("1", "A", 3), need("2", "B", 5), need("3", "A", 5)]
    left = panels.unmatched_needs(needs, [partnership("p", needId="1"), partnership("q")])
    assert [n["id"] for n in left] == ["3", "2"]  # most severe first, then by area


def test_open_commitments_split_into_overdue_and_due_soon() -> None:
    p = partnership(
        "p",
        commitments=commitments(
            NOW - timedelta(days=3),
            NOW + timedelta(days=2),
            NOW + timedelta(days=14),
            NOW + timedelta(days=15),
            NOW - timedelta(days=10),
        ),
    )
    overdue, soon = panels.commitments_due([p], NOW)
    assert [r.title for r in overdue] == ["c4", "c0"]
    assert [r.days for r in overdue] == [-10, -3]
    assert [r.title for r in soon] == ["c1", "c2"]
    assert soon[0].owner == "GreenLeaf" and soon[0].partnership == "P p"


def test_contributions_are_summed_per_kind_and_unit_across_partnerships() -> None:
    def total(kind: str, unit: str, quantity: float, value: float, count: int) -> dict[str, Any]:
        return {
            "kind": kind,
            "unit": unit,
            "quantity": quantity,
            "estimatedValue": value,
            "count": count,
        }

    rows = panels.contributions_by_kind(
        [
            partnership(
                "p",
                contributionTotals=[
                    total("VOLUNTEER_HOURS", "hours", 10, 300, 2),
                    total("MATERIALS", "bins", 4, 120, 1),
                ],
            ),
            partnership(
                "q",
                contributionTotals=[
                    total("VOLUNTEER_HOURS", "hours", 5, 150, 1),
                    total("MATERIALS", "signs", 2, 40, 1),
                ],
            ),
        ]
    )
    by_kind = {r.kind: r for r in rows}
    assert list(by_kind) == ["VOLUNTEER_HOURS", "MATERIALS", "SERVICES", "FUNDS"]
    assert by_kind["VOLUNTEER_HOURS"].count == 3
    assert by_kind["VOLUNTEER_HOURS"].quantities == (("hours", 15),)
    assert by_kind["MATERIALS"].estimated_value == 160
    assert by_kind["MATERIALS"].quantities == (("bins", 4), ("signs", 2))
    assert by_kind["FUNDS"].count == 0 and by_kind["FUNDS"].quantities == ()


def test_health_is_one_point_today_until_the_partnership_has_a_history() -> None:
    today = date(2026, 3, 1)
    assert panels.health_points(partnership("p", healthHistory=[]), today) == [(today, 0.7)]
    history = [
        {"at": "2026-02-01T00:00:00+00:00", "score": 0.5},
        {"at": "2026-02-15T00:00:00+00:00", "score": 0.6},
    ]
    assert panels.health_points(partnership("p", healthHistory=history), today) == [
        (date(2026, 2, 1), 0.5),
        (date(2026, 2, 15), 0.6),
    ]


def test_health_over_time_is_the_dated_history_and_its_warnings_oldest_first() -> None:
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    alone = panels.health_over_time(partnership("p", healthHistory=[]), now)
    assert alone.points == ((now, 0.7, "steady"),) and alone.until == now
    history = [
        {"at": "2026-02-01T10:00:00+00:00", "score": 0.5, "label": "new"},
        {"at": "2026-02-15T10:00:00+00:00", "score": 0.45, "label": "at risk"},
    ]
    warnings = [  # as the API gives them: newest first
        {"at": "2026-02-20T00:00:00+00:00", "score": 0.4, "summary": "later"},
        {"at": "2026-02-15T10:00:00+00:00", "score": 0.45, "summary": "earlier"},
    ]
    found = panels.health_over_time(
        partnership("p", healthHistory=history, healthWarnings=warnings, trend="DECLINING"), now
    )
    assert [(at.day, score) for at, score, _ in found.points] == [(1, 0.5), (15, 0.45)]
    assert [summary for _, _, summary in found.warnings] == ["earlier", "later"]
    assert (found.score, found.label, found.trend, found.until) == (0.7, "steady", "DECLINING", now)


def test_early_warnings_come_dated_weak_parts_are_to_watch_and_the_weakest_comes_first() -> None:
    parts = [
        {"name": "check_in_regularity", "score": 0.25, "detail": "1 of 4 check-ins held"},
        {"name": "feedback", "score": 0.9, "detail": "4.6 of 5"},
    ]
    warned = [
        {
            "at": "2026-02-20T09:00:00+00:00",
            "reason": "AT_RISK",
            "summary": "2 of the last 4 check-ins missed",
        }
    ]
    risky = partnership(
        "r",
        health={"score": 0.3, "label": "at risk", "parts": parts},
        healthWarnings=warned,
        trend="DECLINING",
    )
    rows = panels.health_rows([partnership("p", trend="STEADY"), risky], date(2026, 3, 1))
    assert [r.id for r in rows] == ["r", "p"]
    assert rows[0].warnings == ("2026-02-20: 2 of the last 4 check-ins missed",)
    assert rows[0].weak == ("check in regularity: 1 of 4 check-ins held",)
    assert rows[0].trend == "DECLINING"
    assert rows[1].warnings == () and rows[1].weak == () and rows[1].trend == "STEADY"
