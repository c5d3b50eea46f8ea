"""Matching across linked networks: only organizations that opted in and work virtually are
suggested to each other, and only while their networks' link is active; the reasons name the
other region and the weekly hours both share across time zones. Ending the link withdraws the
unanswered suggestions across it and keeps the answered ones."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from services.matching.domain.index import ProfileIndex
from services.matching.domain.scoring import top_partners
from services.matching.service import Matcher, weights_from
from shared.clock import Clock
from shared.contracts import AvailabilityWindow, OrganizationProfile, Resource
from shared.contracts.links import LinkStatus, NetworkLink
from shared.contracts.matching import MatchDecision
from shared.settings import Settings
from tests.support.fake_matching import FakeMatchingUnitOfWork

WEIGHTS = weights_from(Settings(_env_file=None))  # the defaults
MONDAY = date(2025, 1, 6)  # the indexes' reference week (a fixed one: the same hours)

EVENING = [AvailabilityWindow(day="tue", start="17:00", end="21:00")]  # local time


def profile(
    org: str, network: str, *, offers: str, needs: str, version: int = 1, **fields: Any
) -> OrganizationProfile:
    defaults: dict[str, Any] = {
        "region": "Lane County" if network == "net_lane" else "Marion County",
        "time_zone": "America/Los_Angeles" if network == "net_lane" else "America/New_York",
        "virtual_ready": True,
        "open_to_other_networks": True,
        "availability": EVENING,
    }
    return OrganizationProfile(
        organization_id=org,
        network_id=network,
        version=version,
        name=org.removeprefix("org_").title(),
        mission="Tutoring and mentoring for middle-school students",
        focus_areas=["youth_education"],
        offers=[Resource(kind=offers)],
        needs=[Resource(kind=needs)],
        **{**defaults, **fields},
    )


TUTORS = profile("org_tutors", "net_lane", offers="volunteers", needs="mentoring")
MENTORS = profile("org_mentors", "net_marion", offers="mentoring", needs="volunteers")


def partners(index: ProfileIndex, organization_id: str) -> list[str]:
    return [s.partner_id for s in top_partners(index, organization_id, WEIGHTS, limit=10)]


def test_linked_networks_match_only_opted_in_virtual_organizations_while_linked() -> None:
    index = ProfileIndex(MONDAY)
    closed = MENTORS.model_copy(update={"organization_id": "org_closed", "name": "Closed"})
    closed = closed.model_copy(update={"open_to_other_networks": False})
    local = MENTORS.model_copy(update={"organization_id": "org_local", "name": "Local"})
    local = local.model_copy(update={"virtual_ready": False})
    index.put_many([TUTORS, MENTORS, closed, local])
    assert partners(index, "org_tutors") == []  # not linked yet
    index.link("net_lane", "net_marion")
    assert partners(index, "org_tutors") == ["org_mentors"]
    # its own network's organizations stay candidates beside the one across the link
    assert set(partners(index, "org_mentors")) == {"org_tutors", "org_closed", "org_local"}
    assert "org_tutors" not in partners(index, "org_closed")  # not opted in: none across
    assert "org_tutors" not in partners(index, "org_local")  # not virtual-ready
    index.unlink("net_marion", "net_lane")
    assert partners(index, "org_tutors") == []


def test_reasons_name_the_other_region_and_the_weekly_hours_shared_across_time_zones() -> None:
    index = ProfileIndex(MONDAY)
    index.put_many([TUTORS, MENTORS])
    index.link("net_lane", "net_marion")
    [found] = top_partners(index, "org_tutors", WEIGHTS, limit=10)
    # Tuesday 17-21 Pacific is 20-24 Eastern: 20-21 Eastern is the one hour both have
    assert (
        "Mentors is in Marion County, in a network linked with yours; you share 1 hour a week "
        "across your time zones"
    ) in found.reasons["org_tutors"]
    assert any(r.startswith("Tutors is in Lane County") for r in found.reasons["org_mentors"])
    assert "1 evening hour overlaps on Tuesdays" in found.reasons["org_tutors"]


def link(status: LinkStatus, version: int) -> NetworkLink:
    at = datetime(2030, 1, 1, tzinfo=UTC)
    return NetworkLink(
        link_id="lnk_1",
        proposer_network_id="net_lane",
        recipient_network_id="net_marion",
        status=status,
        proposed_at=at,
        version=version,
    )


async def take_in(
    matcher: Matcher, uow: FakeMatchingUnitOfWork, *items: OrganizationProfile | NetworkLink
) -> None:
    for item in items:
        async with uow:
            if isinstance(item, NetworkLink):
                await matcher.on_link(item, uow)
            else:
                await matcher.on_profile(item, uow)


async def test_an_accepted_link_suggests_across_it_and_an_ended_one_withdraws_the_open_ones(
    matcher: Matcher, matching_uow: FakeMatchingUnitOfWork
) -> None:
    await take_in(matcher, matching_uow, TUTORS, MENTORS, link(LinkStatus.PROPOSED, 1))
    assert matching_uow.events == []
    await take_in(matcher, matching_uow, link(LinkStatus.ACTIVE, 2))
    [suggested] = matching_uow.events
    assert suggested.type == "matches.suggested"
    [partner] = suggested.data["suggestions"]
    match = await matcher.match(partner["match_id"], matching_uow)
    assert partner["network_id"] != suggested.data["network_id"]  # the partner's, across
    assert match["network_ids"] == ["net_lane", "net_marion"]
    await take_in(matcher, matching_uow, link(LinkStatus.ACTIVE, 2))  # redelivered: nothing new
    assert len(matching_uow.events) == 1

    await take_in(matcher, matching_uow, link(LinkStatus.ENDED, 3))
    assert await matcher.matches_of("org_tutors", 10, matching_uow) == []
    later = TUTORS.model_copy(update={"version": 2, "mission": "Tutoring online"})
    await take_in(
        matcher, matching_uow, later
    )  # a profile change after the end suggests no one across
    assert len(matching_uow.events) == 1


async def test_an_answered_suggestion_stays_when_the_link_ends(
    matcher: Matcher, matching_uow: FakeMatchingUnitOfWork
) -> None:
    await take_in(matcher, matching_uow, TUTORS, MENTORS, link(LinkStatus.ACTIVE, 2))
    match_id = (matching_uow.events)[0].data["suggestions"][0]["match_id"]
    await matcher.respond(match_id, "org_tutors", MatchDecision.ACCEPT, "", matching_uow)
    await matcher.respond(match_id, "org_mentors", MatchDecision.ACCEPT, "", matching_uow)
    await take_in(matcher, matching_uow, link(LinkStatus.ENDED, 3))
    assert (await matcher.match(match_id, matching_uow))["status"] == "ACCEPTED"


async def test_active_links_are_loaded_again_at_start(
    matcher: Matcher, matching_uow: FakeMatchingUnitOfWork
) -> None:
    await take_in(matcher, matching_uow, TUTORS, MENTORS, link(LinkStatus.ACTIVE, 2))
    again = Matcher(Settings(_env_file=None), Clock())
    await again.load(matching_uow)
    assert partners(again.index, "org_tutors") == ["org_mentors"]
