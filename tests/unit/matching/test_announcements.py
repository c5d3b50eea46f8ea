"""A refresh's new suggestions are announced in one `matches.suggested`: every new partner, best
first, each with what both sides read, and where the organization now stands among the
partner's own open suggestions (a tie goes to what the partner already had)."""

from __future__ import annotations

from datetime import UTC, datetime

from services.matching.domain.announcements import partner_rank, suggestions_made
from services.matching.service import Matcher
from shared.contracts import MatchesSuggested, OrganizationProfile, Resource
from tests.support.fake_matching import FakeMatchingUnitOfWork

NOW = datetime(2026, 3, 2, tzinfo=UTC)


def test_the_rank_counts_the_partners_open_suggestions_that_score_at_least_as_much() -> None:
    assert partner_rank(0.5, []) == 1
    assert partner_rank(0.5, [0.9, 0.4]) == 2
    assert partner_rank(0.5, [0.9, 0.8, 0.5]) == 4  # the tie stays ahead
    assert partner_rank(0.51, [0.9, 0.8, 0.5]) == 3


def match(match_id: str, partner: str, score: float, network_ids: list[str]) -> dict[str, object]:
    return {
        "_id": match_id,
        "network_id": "net_1",
        "network_ids": network_ids,
        "organization_ids": ["org_new", partner],
        "parties": [
            {"organization_id": "org_new", "name": "Newcomer"},
            {"organization_id": partner, "name": f"Org {partner}"},
        ],
        "score": score,
        "reasons": {"org_new": [f"{partner} fits", "more"], partner: ["Newcomer fits you"]},
    }


def test_the_event_lists_every_new_partner_best_first_with_both_sides_reasons() -> None:
    new = [
        match("m1", "org_a", 0.4, ["net_1"]),
        match("m2", "org_b", 0.7, ["net_1", "net_2"]),
    ]
    event = suggestions_made("org_new", "Newcomer", "net_1", new, {"org_a": [0.9, 0.8, 0.3]})
    assert (event.organization_id, event.name, event.network_id) == ("org_new", "Newcomer", "net_1")
    b, a = event.suggestions
    assert (b.match_id, b.organization_id, b.name, b.network_id) == (
        "m2",
        "org_b",
        "Org org_b",
        "net_2",
    )
    assert (b.reasons, b.partner_reasons, b.partner_rank) == (
        ["org_b fits", "more"],
        ["Newcomer fits you"],
        1,
    )
    assert (a.organization_id, a.network_id, a.partner_rank) == ("org_a", "net_1", 3)


def profile(org: str, offers: list[str], focus: list[str]) -> OrganizationProfile:
    return OrganizationProfile(
        organization_id=org,
        network_id="net_1",
        version=1,
        name=f"Org {org}",
        mission="After-school tutoring and meals for families",
        focus_areas=focus,
        offers=[Resource(kind=k) for k in offers],
        needs=[Resource(kind="volunteers")],
    )


async def test_a_newcomer_is_announced_once_with_its_rank_in_each_partners_list(
    matcher: Matcher, matching_uow: FakeMatchingUnitOfWork
) -> None:
    """Each rank is the newcomer's place in the partner's matches list as the partner reads it."""
    existing = [
        profile(
            f"org_{i}",
            ["volunteers", "meals", "venue"][: 1 + i % 3],
            ["education", "food", "youth"][: 1 + i % 3],
        )
        for i in range(6)
    ]
    for p in existing:
        async with matching_uow:
            await matcher.on_profile(p, matching_uow)
    before = len(matching_uow.events)
    async with matching_uow:
        await matcher.on_profile(
            profile("org_new", ["volunteers", "meals"], ["education", "food"]), matching_uow
        )
    [announced] = matching_uow.events[before:]
    assert (announced.type, announced.subject) == ("matches.suggested", "org_new")
    event = MatchesSuggested.model_validate(announced.data)
    assert {p.organization_id for p in event.suggestions} == {p.organization_id for p in existing}
    assert [p.score for p in event.suggestions] == sorted(
        (p.score for p in event.suggestions), reverse=True
    )
    for partner in event.suggestions:
        listed = await matcher.matches_of(partner.organization_id, 20, matching_uow)
        ahead = [m for m in listed if m["_id"] != partner.match_id and m["score"] >= partner.score]
        assert partner.partner_rank == 1 + len(ahead)
    assert {p.partner_rank for p in event.suggestions} != {1}  # the rule does tell some apart
