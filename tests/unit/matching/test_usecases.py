"""Matching's use cases against the fake unit of work (milliseconds, no database): complementary
profiles are suggested to each other once; both accepting announces match.accepted with what
each offers; an archived organization's open suggestions are withdrawn; an operator's
introduction is a match led by its note, answered by the organizations themselves."""

from __future__ import annotations

import pytest

from services.matching.service import Matcher
from shared.contracts import OrganizationProfile, Resource
from shared.contracts.matching import MatchDecision
from shared.errors import AppError, ErrorCode
from tests.support.fake_matching import FakeMatchingUnitOfWork


def profile(org: str, name: str, offers: str, needs: str, version: int = 1) -> OrganizationProfile:
    return OrganizationProfile(
        organization_id=org,
        network_id="net_1",
        version=version,
        name=name,
        mission="Community health outreach and grants for families",
        focus_areas=["community_health"],
        offers=[Resource(kind=offers)],
        needs=[Resource(kind=needs)],
    )


async def take_in(
    matcher: Matcher, uow: FakeMatchingUnitOfWork, *profiles: OrganizationProfile
) -> None:
    for p in profiles:
        async with uow:
            await matcher.on_profile(p, uow)


OUTREACH = profile("org_a", "Neighbors United", "outreach", "funding")
FUNDER = profile("org_b", "Lane Foundation", "funding", "outreach")


async def test_complementary_organizations_are_suggested_once_and_accepted_by_both(
    matcher: Matcher, matching_uow: FakeMatchingUnitOfWork
) -> None:
    await take_in(
        matcher, matching_uow, OUTREACH, FUNDER, OUTREACH.model_copy(update={"version": 2})
    )
    [suggested] = matching_uow.events
    assert (suggested.type, suggested.subject) == ("matches.suggested", "org_b")
    [partner] = suggested.data["suggestions"]
    assert (partner["organization_id"], partner["partner_rank"]) == ("org_a", 1)
    match_id = partner["match_id"]
    with pytest.raises(AppError) as stranger:
        await matcher.respond(match_id, "org_x", MatchDecision.ACCEPT, "", matching_uow)
    assert stranger.value.code is ErrorCode.FORBIDDEN
    first = await matcher.respond(match_id, "org_a", MatchDecision.ACCEPT, "ok", matching_uow)
    both = await matcher.respond(match_id, "org_b", MatchDecision.ACCEPT, "ok", matching_uow)
    assert (first.status, both.status) == ("SUGGESTED", "ACCEPTED")
    accepted = (matching_uow.events)[-1]
    assert accepted.type == "match.accepted"
    assert accepted.data["offers"] == {"org_a": ["outreach"], "org_b": ["funding"]}


async def test_archiving_withdraws_the_open_suggestions(
    matcher: Matcher, matching_uow: FakeMatchingUnitOfWork
) -> None:
    await take_in(matcher, matching_uow, OUTREACH, FUNDER)
    match_id = (matching_uow.events)[0].data["suggestions"][0]["match_id"]
    await take_in(matcher, matching_uow, FUNDER.model_copy(update={"version": 2, "archived": True}))
    with pytest.raises(AppError) as gone:
        await matcher.match(match_id, matching_uow)
    assert gone.value.code is ErrorCode.NOT_FOUND


async def test_an_operator_introduces_two_organizations_who_answer_it_themselves(
    matcher: Matcher, matching_uow: FakeMatchingUnitOfWork
) -> None:
    other = profile("org_c", "Eastside Library", "venue", "volunteers").model_copy(
        update={"mission": "Books", "focus_areas": ["literacy"]}
    )
    foreign = profile("org_d", "Far Away", "venue", "outreach").model_copy(
        update={"network_id": "net_2"}
    )
    await take_in(matcher, matching_uow, OUTREACH, other, foreign)
    assert matching_uow.events == []  # nothing in common: no suggestion

    for ids, field in [(["org_a", "org_d"], "[1]"), (["org_a", "org_a"], ""), (["org_a"], "")]:
        with pytest.raises(AppError) as refused:
            await matcher.introduce("net_1", ids, "Meet!", "operator:net_1", {}, matching_uow)
        assert refused.value.code is ErrorCode.BAD_USER_INPUT
        assert refused.value.field == f"input.organizationIds{field}"

    note = "Both of you asked me about summer reading"
    made = await matcher.introduce(
        "net_1", ["org_a", "org_c"], note, "operator:net_1", {}, matching_uow
    )
    assert made.status == "SUGGESTED"
    stored = await matcher.match(made.id, matching_uow)
    assert stored["introduced_by"] == "operator:net_1"
    assert made.reasons["org_c"][0] == f"Introduced by your network's coordinator: {note}"
    [suggested] = matching_uow.events
    assert (suggested.type, suggested.subject) == ("match.suggested", made.id)
    assert suggested.data["reasons"][0].endswith(note)

    await matcher.respond(made.id, "org_a", MatchDecision.ACCEPT, "", matching_uow)
    with pytest.raises(AppError) as answered:
        await matcher.introduce(
            "net_1", ["org_c", "org_a"], "Again", "operator:net_1", {}, matching_uow
        )
    assert answered.value.code is ErrorCode.CONFLICT
    assert answered.value.details == {"existingId": made.id}
    both = await matcher.respond(made.id, "org_c", MatchDecision.ACCEPT, "", matching_uow)
    assert both.status == "ACCEPTED"
    assert (matching_uow.events)[-1].type == "match.accepted"
    # one whose registration has not reached matching yet: named as the caller read it
    early = await matcher.introduce(
        "net_1", ["org_a", "org_e"], "Hi", "operator:net_1", {"org_e": "Early"}, matching_uow
    )
    assert [p.name for p in early.parties] == ["Neighbors United", "Early"]


async def test_introducing_a_pair_already_suggested_puts_the_note_first(
    matcher: Matcher, matching_uow: FakeMatchingUnitOfWork
) -> None:
    await take_in(matcher, matching_uow, OUTREACH, FUNDER)
    [suggested] = matching_uow.events
    [partner] = suggested.data["suggestions"]  # to org_b, the second to arrive
    made = await matcher.introduce(
        "net_1", ["org_b", "org_a"], "Talk", "operator:net_1", {}, matching_uow
    )
    assert made.id == partner["match_id"]
    assert made.reasons["org_a"][0].endswith("Talk")
    assert made.reasons["org_b"][1:] == partner["reasons"]  # org_b's, as announced
    again = await matcher.introduce(
        "net_1", ["org_a", "org_b"], "Talk now", "operator:net_1", {}, matching_uow
    )
    assert [r for r in again.reasons["org_a"] if "coordinator" in r] == [
        "Introduced by your network's coordinator: Talk now"
    ]
    # a profile update refreshes the scores and keeps the note first
    await take_in(
        matcher, matching_uow, OUTREACH.model_copy(update={"version": 2, "values": ["equity"]})
    )
    stored = await matcher.match(made.id, matching_uow)
    assert stored["reasons"]["org_a"][0].endswith("Talk now")
    assert sum("coordinator" in r for r in stored["reasons"]["org_a"]) == 1
