"""Partnerships across a link between networks: one formed from a match across a link names
both networks, each network's listing has it, the gateway sees it from either network (and
from no other), and notifications reach its partners in both."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.commitments.domain.records import partnership_id_for_match
from services.commitments.service import Tracker
from services.gateway.auth import network_seen, require_party
from services.gateway.context import Caller, Role
from services.gateway.schema.partnership_types import listed_for
from services.notifications.domain.templates import TEMPLATES
from shared.clock import Clock
from shared.contracts import (
    HealthPart,
    MatchAccepted,
    MatchParty,
    MatchSuggested,
    PartnershipFormed,
    PartnershipHealthWarning,
    PartnershipRef,
    PartnershipView,
)
from shared.errors import AppError, ErrorCode
from shared.settings import Settings
from tests.support.fake_commitments import FakeCommitmentsUnitOfWork


@pytest.fixture
def tracker() -> Tracker:
    clock = Clock()
    clock.set(datetime(2030, 3, 4, 9, tzinfo=UTC))
    return Tracker(clock, Settings(_env_file=None))


ACROSS = MatchAccepted(
    match_id="mat_1",
    network_id="net_lane",
    network_ids=["net_lane", "net_marion"],
    parties=[
        MatchParty(organization_id="org_tutors", name="Tutors"),
        MatchParty(organization_id="org_mentors", name="Mentors"),
    ],
    score=0.7,
)


async def test_a_partnership_from_a_match_across_a_link_names_both_networks(
    tracker: Tracker,
) -> None:
    uow = FakeCommitmentsUnitOfWork()
    async with uow:
        await tracker.form_from_match(ACROSS, uow)
    found = await tracker.partnership(partnership_id_for_match("mat_1"), uow)
    assert found.network_ids == ["net_lane", "net_marion"]
    for network in ("net_lane", "net_marion"):
        listed = await tracker.partnerships_in(network, None, None, 10, uow)
        assert [p.id for p in listed.items] == [found.id]
    assert (await tracker.partnerships_in("net_other", None, None, 10, uow)).items == []
    [formed] = uow.events
    assert formed.data["partnership"]["network_ids"] == ["net_lane", "net_marion"]


def caller(network: str, organization: str | None, role: Role = Role.ORG_ADMIN) -> Caller:
    return Caller(f"mem_{network}", network, organization, role)


def test_the_gateway_sees_it_from_either_network_and_from_no_other() -> None:
    networks = ["net_lane", "net_marion"]

    def check(who: Caller) -> None:
        network = network_seen(who, "net_lane", networks)
        require_party(who, ["org_tutors", "org_mentors"], network, "partnership", "p")

    check(caller("net_marion", "org_mentors"))
    check(caller("net_lane", "org_tutors"))
    check(caller("net_marion", None, Role.OPERATOR))
    check(caller("net_lane", None, Role.OPERATOR))
    for who, code in [
        (caller("net_marion", "org_closed"), ErrorCode.FORBIDDEN),
        (caller("net_other", None, Role.OPERATOR), ErrorCode.NOT_FOUND),
        (caller("net_other", "org_tutors"), ErrorCode.NOT_FOUND),
    ]:
        with pytest.raises(AppError) as refused:
            check(who)
        assert refused.value.code is code
    within = network_seen(caller("net_marion", None, Role.OPERATOR), "net_lane", ["net_lane"])
    assert within == "net_lane"


def test_notifications_reach_the_partners_in_both_networks() -> None:
    ref = PartnershipRef(
        partnership_id="ptn_1",
        network_id="net_lane",
        name="Tutors & Mentors",
        organization_ids=["org_tutors", "org_mentors"],
        network_ids=["net_lane", "net_marion"],
    )
    _, audience = TEMPLATES["partnership.formed"](PartnershipFormed(partnership=ref))
    assert audience.networks == ["net_lane", "net_marion"]
    suggested = MatchSuggested(
        match_id="mat_1",
        network_id="net_lane",
        network_ids=["net_lane", "net_marion"],
        parties=ACROSS.parties,
        score=0.7,
    )
    _, audience = TEMPLATES["match.suggested"](suggested)
    assert audience.networks == ["net_lane", "net_marion"]
    _, audience = TEMPLATES["match.accepted"](ACROSS)
    assert audience.networks == ["net_lane", "net_marion"]

    part = HealthPart(name="check_in_regularity", score=0.5, weight=0.25)
    warning = PartnershipHealthWarning(
        partnership=ref, reason="declining", crossing="c1", score=0.4, previous_score=0.6,
        part=part, part_previous_score=0.75, summary="2 of the last 4 check-ins missed",
    )  # fmt: skip
    _, audience = TEMPLATES["partnership.health_warning"](warning)
    assert audience.networks == ["net_lane", "net_marion"]
    assert audience.member_ids == ["operator:net_lane", "operator:net_marion"]


def test_a_partnership_across_a_link_is_listed_for_its_partners_and_operators_only() -> None:
    view = PartnershipView.model_validate(
        {"id": "ptn_1", "network_id": "net_lane", "network_ids": ["net_lane", "net_marion"],
         "name": "T & M", "status": "forming", "check_in_cadence": "biweekly",
         "organization_ids": ["org_tutors", "org_mentors"],
         "health": {"score": 0.5, "label": "new", "parts": []},
         "formed_at": "2030-03-04T09:00:00+00:00"}
    )  # fmt: skip
    for who in (
        caller("net_lane", "org_tutors"),
        caller("net_marion", "org_mentors"),
        caller("net_marion", None, Role.OPERATOR),
    ):
        assert listed_for(who, view)
    for who in (caller("net_lane", "org_bystander"), caller("net_other", None, Role.OPERATOR)):
        assert not listed_for(who, view)
    within = view.model_copy(update={"network_ids": ["net_lane"]})
    assert listed_for(caller("net_lane", "org_bystander"), within)  # as before in one network
