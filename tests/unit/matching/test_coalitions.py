"""Coalitions for a need as suggestions: who brings what, in plain sentences, and the match
document every member answers."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from services.matching.domain import matches as docs
from services.matching.domain.coalitions import (
    _greedy,
    _shortlist,
    coalition_reasons,
    coalitions,
    coverage,
    rank,
)
from services.matching.domain.index import ProfileIndex
from shared.contracts.matching import MatchDecision, MatchStatus
from tests.support.field_report import MENTAL_HEALTH_NEED, MONDAY, field_report_index, org

NOW = datetime(2026, 1, 5, tzinfo=UTC)
NEED = MENTAL_HEALTH_NEED.model_copy(
    update={"required_resources": ["Counseling", "venue", "sign language interpreters"]}
)


def test_a_coalition_tells_each_member_who_brings_what() -> None:
    index = field_report_index()
    best = coalitions(index, NEED, alternatives=1)[0]
    assert best.uncovered_resources == ["sign language interpreters"]
    assert coverage(NEED, best) == 2 / 3
    said = coalition_reasons(index, NEED, best, "org_counselors")
    others = [m.name for m in best.members if m.organization_id != "org_counselors"]
    assert said[0] == f"Together with {others[0]} you can meet “Mental health support”"
    assert "You bring counseling" in said
    assert "The need affects residents, whom you serve" in said
    assert said[-1] == "Nobody in the network offers sign language interpreters yet"


def test_a_coalition_match_names_the_need_and_every_party() -> None:
    index = field_report_index()
    best = coalitions(index, NEED, alternatives=1)[0]
    ids = [m.organization_id for m in best.members]
    reasons = {o: coalition_reasons(index, NEED, best, o) for o in ids}
    match = docs.coalition_match(NEED, best, reasons, NOW)
    assert match["need_id"] == "need_mh" and match["organization_ids"] == ids
    assert match["pair_key"] == docs.coalition_key("need_mh", list(reversed(ids)))
    assert [c["name"] for c in match["components"]] == ["coverage", "alignment"]
    assert 0 <= match["score"] <= 1
    # every member must accept before the coalition is accepted
    match["answers"] = {ids[0]: {"decision": "ACCEPT"}}
    assert docs.status_after(match, MatchDecision.ACCEPT) is MatchStatus.SUGGESTED
    match["answers"] = {o: {"decision": "ACCEPT"} for o in ids}
    assert docs.status_after(match, MatchDecision.ACCEPT) is MatchStatus.ACCEPTED


def test_the_shortlist_changes_no_greedy_choice() -> None:
    rng = np.random.default_rng(3)
    for _ in range(50):
        cover = rng.random((400, 4)) < 0.3
        fit = rng.choice(np.linspace(0, 1, 5), 400).astype(np.float32)  # many ties
        rows = _shortlist(cover, fit, keep=5)
        for banned in (set(), {int(rows[0])}):
            full = _greedy(cover, fit, banned)
            short = _greedy(
                cover[rows], fit[rows], {int(np.flatnonzero(rows == b)[0]) for b in banned}
            )
            assert full == ([(int(rows[r]), c) for r, c in short] if short else None)


def test_a_coalition_that_covers_everything_ranks_above_any_that_leaves_a_kind_out() -> None:
    # The hub brings counseling and a venue and fits the need well; outreach comes only from
    # the library, which fits it poorly. Without the library the hub alone scores higher than
    # the whole cover, yet it leaves outreach uncovered: it must come after every whole cover.
    index = ProfileIndex(MONDAY)
    index.put_many(
        [
            org("hub", "Eastside Wellness Hub", focus_areas=["mental health"],
                offers=["counseling", "venue"], populations_served=["residents"]),
            org("library", "Riverside Public Library", focus_areas=["literacy"],
                offers=["outreach"]),
            org("counselors", "Eastside Counseling Collective", focus_areas=["mental health"],
                offers=["counseling"], populations_served=["residents"]),
            org("center", "Eastside Community Center", focus_areas=["mental health"],
                offers=["venue"], populations_served=["residents"]),
        ]
    )  # fmt: skip
    need = MENTAL_HEALTH_NEED.model_copy(
        update={"required_resources": ["counseling", "venue", "outreach"]}
    )
    found = coalitions(index, need, alternatives=10)
    uncovered = [len(c.uncovered_resources) for c in found]
    assert uncovered == sorted(uncovered) and uncovered[0] == 0 and uncovered[-1] > 0
    partial = next(c for c in found if c.uncovered_resources)
    assert partial.uncovered_resources == ["outreach"]
    assert partial.score > found[0].score  # the score alone would have put it first
    # among whole covers, the score breaks the tie
    whole = [c.score for c in found if not c.uncovered_resources]
    assert whole == sorted(whole, reverse=True)
    assert rank(found[0]) < rank(partial)
