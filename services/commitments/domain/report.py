"""The partnership report: the numbers and the people's feedback side by side, as a document
and as CSV (one row per figure or comment, for a spreadsheet)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from services.commitments.domain.health import Health
from shared.contracts.commitments import (
    REPORT_CSV_COLUMNS,
    Contributed,
    contribution_totals,
)

Doc = dict[str, Any]


def sorted_totals(contributions: Sequence[Doc]) -> list[Doc]:
    """The contribution totals by organization, kind and unit."""
    totals = contribution_totals(Contributed.model_validate(c) for c in contributions)
    by_key = sorted(totals, key=lambda t: (t.organization_id, t.kind.value, t.unit))
    return [t.model_dump(mode="json") for t in by_key]


def build_report(
    partnership: Doc,
    names: dict[str, str],
    commitments: Sequence[Doc],
    check_ins: Sequence[Doc],
    milestones: Sequence[Doc],
    contributions: Sequence[Doc],
    feedback: Sequence[Doc],
    health: Health,
) -> Doc:
    by_status: dict[str, int] = defaultdict(int)
    for c in commitments:
        by_status[c["status"]] += 1
    done = [c for c in commitments if c["status"] == "done"]
    on_time = sum(1 for c in done if c["closed_at"] <= c["due_at"])
    ratings = [f["rating"] for f in feedback]
    return {
        "partnership_id": partnership["_id"],
        "name": partnership["name"],
        "status": partnership["status"],
        "formed_at": partnership["formed_at"],
        "organizations": [
            {"organization_id": o, "name": names.get(o, o)} for o in partnership["organization_ids"]
        ],
        "commitments": {
            "made": len(commitments),
            **{s: by_status.get(s, 0) for s in ("open", "done", "missed", "cancelled")},
            "kept_on_time": on_time,
        },
        "check_ins": len(check_ins),
        "wins": [w for c in check_ins for w in c.get("wins", [])],
        "blockers": [b for c in check_ins for b in c.get("blockers", [])],
        "milestones": [
            {"title": m["title"], "note": m.get("note", ""), "reached_at": m["reached_at"]}
            for m in milestones
        ],
        "contributions": sorted_totals(contributions),
        "total_estimated_value": sum(c.get("estimated_value", 0.0) for c in contributions),
        "participants_reached": sum(f.get("participants_reached", 0) for f in feedback),
        "feedback": {
            "count": len(feedback),
            "average_rating": round(sum(ratings) / len(ratings), 2) if ratings else None,
            "comments": [
                {"rating": f["rating"], "comment": f["comment"], "submitted_at": f["submitted_at"]}
                for f in feedback
                if f.get("comment")
            ],
        },
        "health": {
            "score": health.score,
            "label": health.label,
            "parts": [p.model_dump() for p in health.parts],
        },
    }


def report_csv(report: Doc, names: dict[str, str]) -> str:
    """The columns of `REPORT_CSV_COLUMNS`, every row all of them."""
    out = io.StringIO()
    rows = csv.writer(out, lineterminator="\n")
    rows.writerow(list(REPORT_CSV_COLUMNS))
    rows.writerow(["partnership", "", "name", report["name"], "", ""])
    rows.writerow(["partnership", "", "status", report["status"], "", ""])
    for status, count in report["commitments"].items():
        rows.writerow(["commitments", "", status, count, "", ""])
    rows.writerow(["check_ins", "", "held", report["check_ins"], "", ""])
    for m in report["milestones"]:
        rows.writerow(["milestones", "", m["title"], 1, "", m["note"]])
    for c in report["contributions"]:
        org = names.get(c["organization_id"], c["organization_id"])
        rows.writerow(["contributions", org, c["kind"], c["quantity"], c["unit"], ""])
        rows.writerow(["contributions", org, f"{c['kind']}_value", c["estimated_value"], "", ""])
    rows.writerow(
        ["engagement", "", "participants_reached", report["participants_reached"], "", ""]
    )
    fb = report["feedback"]
    rows.writerow(["feedback", "", "average_rating", fb["average_rating"] or "", "of 5", ""])
    for comment in fb["comments"]:
        rows.writerow(["feedback", "", "rating", comment["rating"], "of 5", comment["comment"]])
    for win in report["wins"]:
        rows.writerow(["stories", "", "win", "", "", win])
    rows.writerow(["health", "", "score", report["health"]["score"], "", report["health"]["label"]])
    for part in report["health"]["parts"]:
        rows.writerow(["health", "", part["name"], part["score"], "", part["detail"]])
    return out.getvalue()
