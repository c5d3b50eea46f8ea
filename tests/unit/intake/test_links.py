"""Links between networks: the state machine (who may take which step in which state, every
error naming its field) and the use cases against the fake unit of work (what each step
stores and announces, one open link per pair of networks)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from services.intake.domain import NetworkInput, OrganizationInput, OrganizationUpdate
from services.intake.domain import links as rules
from services.intake.service import IntakeService
from shared.clock import Clock, WallClock
from shared.contracts.links import LinkStatus, NetworkLink
from shared.errors import AppError, ErrorCode
from tests.support.fake_intake import FakeIntakeUnitOfWork

AT = datetime(2030, 3, 1, 12, tzinfo=UTC)
LATER = datetime(2030, 3, 2, 12, tzinfo=UTC)


def proposal() -> NetworkLink:
    return rules.proposed("lnk_1", "net_a", "net_b", "  Virtual tutoring  ", AT)


def refused(code: ErrorCode, field: str, step: object, *args: object) -> None:
    with pytest.raises(AppError) as caught:
        step(*args)  # type: ignore[operator]
    assert (caught.value.code, caught.value.field) == (code, field)


def test_a_proposal_waits_for_the_other_network_with_its_note_trimmed() -> None:
    link = proposal()
    assert (link.status, link.note, link.proposed_at) == (
        LinkStatus.PROPOSED,
        "Virtual tutoring",
        AT,
    )
    assert link.other_than("net_a") == "net_b" and link.other_than("net_b") == "net_a"


def test_a_network_cannot_link_to_itself_nor_send_a_long_note() -> None:
    refused(
        ErrorCode.BAD_USER_INPUT, "otherNetworkId", rules.proposed, "l", "net_a", "net_a", "", AT
    )
    refused(ErrorCode.BAD_USER_INPUT, "note", rules.proposed, "l", "net_a", "net_b", "x" * 1001, AT)


def test_only_the_network_asked_accepts_or_declines_and_only_a_proposal() -> None:
    link = proposal()
    refused(ErrorCode.FORBIDDEN, "linkId", rules.accepted, link, "net_a", LATER)
    refused(ErrorCode.FORBIDDEN, "linkId", rules.declined, link, "net_a", LATER)
    refused(ErrorCode.NOT_FOUND, "linkId", rules.accepted, link, "net_c", LATER)
    active = rules.accepted(link, "net_b", LATER)
    assert (active.status, active.accepted_at, active.version) == (LinkStatus.ACTIVE, LATER, 2)
    refused(ErrorCode.CONFLICT, "linkId", rules.accepted, active, "net_b", LATER)
    refused(ErrorCode.CONFLICT, "linkId", rules.declined, active, "net_b", LATER)
    declined = rules.declined(link, "net_b", LATER)
    assert (declined.status, declined.ended_at, declined.ended_by_network_id) == (
        LinkStatus.DECLINED, LATER, "net_b",
    )  # fmt: skip
    refused(ErrorCode.CONFLICT, "linkId", rules.accepted, declined, "net_b", LATER)


def test_either_network_ends_an_active_link_or_withdraws_a_proposal_and_ended_is_final() -> None:
    active = rules.accepted(proposal(), "net_b", LATER)
    for network in ("net_a", "net_b"):
        assert rules.ended(active, network, LATER).status is LinkStatus.ENDED
    assert rules.ended(proposal(), "net_a", LATER).ended_by_network_id == "net_a"
    refused(ErrorCode.NOT_FOUND, "linkId", rules.ended, active, "net_c", LATER)
    ended = rules.ended(active, "net_a", LATER)
    assert not rules.is_open(ended) and rules.is_open(active)
    for step in (rules.ended, rules.accepted, rules.declined):
        refused(ErrorCode.CONFLICT, "linkId", step, ended, "net_b", LATER)


def test_a_pair_has_one_key_both_ways_and_one_open_link() -> None:
    assert rules.pair_key("net_a", "net_b") == rules.pair_key("net_b", "net_a")
    rules.check_no_open_link(None)
    refused(ErrorCode.CONFLICT, "otherNetworkId", rules.check_no_open_link, "lnk_1")


@pytest.fixture
def uow() -> FakeIntakeUnitOfWork:
    return FakeIntakeUnitOfWork()


@pytest.fixture
def intake() -> IntakeService:
    return IntakeService(Clock(), WallClock())


async def network(intake: IntakeService, uow: FakeIntakeUnitOfWork, name: str) -> str:
    created = await intake.create_network(NetworkInput(name=name, region=f"{name} County"), uow)
    return created.network_id


def event_data(uow: FakeIntakeUnitOfWork) -> list[dict[str, Any]]:
    return [event.data for event in uow.events]


async def test_a_link_is_proposed_answered_and_ended_each_step_announced(
    intake: IntakeService, uow: FakeIntakeUnitOfWork
) -> None:
    a, b = await network(intake, uow, "Lane"), await network(intake, uow, "Marion")
    proposed = await intake.propose_network_link(a, b, "Tutoring online", uow)
    assert (proposed.incoming, proposed.other_network.name) == (False, "Marion")
    assert proposed.other_network.region == "Marion County"
    seen_by_b = await intake.network_links(b, uow)
    assert [(v.link_id, v.incoming, v.other_network.network_id) for v in seen_by_b] == [
        (proposed.link_id, True, a)
    ]
    accepted = await intake.change_network_link(proposed.link_id, b, "accept", uow)
    assert accepted.status is LinkStatus.ACTIVE and accepted.accepted_at is not None
    ended = await intake.change_network_link(proposed.link_id, a, "end", uow)
    assert ended.status is LinkStatus.ENDED
    assert [d["link"]["status"] for d in event_data(uow)] == ["proposed", "active", "ended"]
    assert uow.types == ["network.link_changed"] * 3
    assert {e.subject for e in uow.events} == {proposed.link_id}


async def test_one_open_link_per_pair_until_it_is_declined_or_ended(
    intake: IntakeService, uow: FakeIntakeUnitOfWork
) -> None:
    a, b = await network(intake, uow, "Lane"), await network(intake, uow, "Marion")
    first = await intake.propose_network_link(a, b, "", uow)
    with pytest.raises(AppError) as caught:
        await intake.propose_network_link(b, a, "", uow)  # the other way round is the same pair
    assert caught.value.code is ErrorCode.CONFLICT
    assert caught.value.details == {"existingId": first.link_id}
    await intake.change_network_link(first.link_id, b, "decline", uow)
    again = await intake.propose_network_link(b, a, "Now we ask", uow)
    assert again.incoming is False and again.link_id != first.link_id
    assert [v.status for v in await intake.network_links(a, uow)] == [
        LinkStatus.PROPOSED, LinkStatus.DECLINED,
    ]  # fmt: skip


async def test_a_missing_network_or_a_stranger_gets_not_found_naming_the_field(
    intake: IntakeService, uow: FakeIntakeUnitOfWork
) -> None:
    a, b, c = [await network(intake, uow, n) for n in ("Lane", "Marion", "Linn")]
    with pytest.raises(AppError) as caught:
        await intake.propose_network_link(a, "net_missing", "", uow)
    assert (caught.value.code, caught.value.field) == (ErrorCode.NOT_FOUND, "otherNetworkId")
    link = await intake.propose_network_link(a, b, "", uow)
    for attempt in (
        intake.change_network_link(link.link_id, c, "accept", uow),
        intake.network_link(link.link_id, c, uow),
        intake.change_network_link("lnk_missing", b, "accept", uow),
    ):
        with pytest.raises(AppError) as caught:
            await attempt
        assert (caught.value.code, caught.value.field) == (ErrorCode.NOT_FOUND, "linkId")
    assert await intake.network_links(c, uow) == []


async def test_an_organization_opts_in_to_other_networks_and_its_events_say_so(
    intake: IntakeService, uow: FakeIntakeUnitOfWork
) -> None:
    lane = await network(intake, uow, "Lane")
    admin = {"name": "Ada", "email": "ada@greenleaf.example.org"}
    registered = await intake.register_organization(
        OrganizationInput.model_validate({"network_id": lane, "name": "GreenLeaf", "admin": admin}),
        True,
        None,
        uow,
    )
    organization_id = registered.organization.organization_id
    assert registered.organization.open_to_other_networks is False  # the default
    update = OrganizationUpdate(open_to_other_networks=True)
    updated = await intake.update_organization(organization_id, update, uow)
    assert updated.organization.open_to_other_networks is True
    renamed = await intake.update_organization(
        organization_id, OrganizationUpdate(name="Leaf"), uow
    )
    assert renamed.organization.open_to_other_networks is True  # unsent: unchanged
    assert [d["profile"]["open_to_other_networks"] for d in event_data(uow)] == [False, True, True]
