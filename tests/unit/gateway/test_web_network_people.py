"""The coordinator's list of introductions: the matches a coordinator made, each once though
both organizations list it, newest first; matching's own suggestions left out."""

from __future__ import annotations

from typing import Any

from services.gateway.web.network_people import introductions_of


def match(ident: str, created: str, introduced_by: str | None) -> dict[str, Any]:
    return {"id": ident, "createdAt": created, "introducedBy": introduced_by}


def organization(*matches: dict[str, Any]) -> dict[str, Any]:
    return {"matches": {"edges": [{"node": m} for m in matches]}}


def test_introductions_are_listed_once_newest_first_without_matchings_suggestions() -> None:
    older = match("m1", "2026-01-02T10:00:00+00:00", "mem_op")
    newer = match("m2", "2026-02-01T10:00:00+00:00", "mem_op")
    suggested = match("m3", "2026-03-01T10:00:00+00:00", None)
    found = introductions_of([organization(older, suggested), organization(older, newer)])
    assert [m["id"] for m in found] == ["m2", "m1"]
    assert introductions_of([organization()]) == []
