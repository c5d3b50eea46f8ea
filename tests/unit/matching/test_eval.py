"""Labelled evaluation of partner suggestions, from the field report's situations plus
distractors: every expected partner ranks in its counterpart's top 3 (both directions);
precision@3 and MRR are printed."""

from __future__ import annotations

from services.matching.domain.coalitions import coalitions
from services.matching.domain.index import ProfileIndex
from services.matching.domain.scoring import top_partners
from services.matching.service import weights_from
from shared.settings import Settings
from tests.support.field_report import (
    MENTAL_HEALTH_NEED,
    ORGANIZATIONS,
    field_report_index,
)

WEIGHTS = weights_from(Settings(_env_file=None))  # the defaults

EXPECTED = [
    ("outreach", "funder"),
    ("bakery", "school"),
    ("counselors", "center"),
    ("greenleaf", "highschool"),
]


def rank_of(index: ProfileIndex, seeker: str, partner: str) -> int | None:
    found = top_partners(index, f"org_{seeker}", WEIGHTS, limit=len(ORGANIZATIONS))
    ids = [s.partner_id for s in found]
    return ids.index(f"org_{partner}") + 1 if f"org_{partner}" in ids else None


def test_each_expected_partner_ranks_in_the_top_3_both_ways() -> None:
    index = field_report_index()
    ranks: dict[tuple[str, str], int | None] = {}
    for a, b in EXPECTED:
        ranks[(a, b)], ranks[(b, a)] = rank_of(index, a, b), rank_of(index, b, a)
    precision = sum(1 for r in ranks.values() if r is not None and r <= 3) / len(ranks)
    mrr = sum(1 / r for r in ranks.values() if r) / len(ranks)
    print(f"\nmatching evaluation: {len(ranks)} queries")
    print(f"precision@3 = {precision:.2f}, MRR = {mrr:.3f}")
    for pair, rank in ranks.items():
        print(f"  {pair[0]:>10} -> {pair[1]:<10} rank {rank}")
    assert all(r is not None and r <= 3 for r in ranks.values()), ranks


def test_suggestions_explain_themselves_in_plain_sentences() -> None:
    best = top_partners(field_report_index(), "org_outreach", WEIGHTS, limit=1)[0]
    assert best.partner_id == "org_funder"
    said = best.reasons["org_outreach"]
    assert "Both work on community health" in said
    assert "Riverside Community Foundation offers funding, which you need" in said
    assert "You offer outreach, which Riverside Community Foundation needs" in said
    assert "3 evening hours overlap on Tuesdays" in said
    assert "Neighbors United offers outreach, which you need" in best.reasons["org_funder"]


def test_the_survey_reported_mental_health_need_gets_the_counselors() -> None:
    found = coalitions(field_report_index(), MENTAL_HEALTH_NEED)
    first = {m.organization_id: m.covers for m in found[0].members}
    assert first["org_counselors"] == ["counseling"]
    assert found[0].uncovered_resources == []
    assert len(found) > 1  # alternatives
