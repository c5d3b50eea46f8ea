"""Intake's use cases against the fake unit of work (milliseconds, no database): what each
write stores and announces, what it refuses, that a refused write leaves nothing, and what
the read use cases answer. tests/unit/intake/test_store.py keeps the real store's side."""

from __future__ import annotations

from typing import Any

import pytest

from services.intake.domain import (
    MemberInput,
    NeedInput,
    NetworkInput,
    OrganizationInput,
    OrganizationUpdate,
)
from services.intake.service import IntakeService
from shared.clock import Clock, WallClock
from shared.contracts.intake import CreatedNetwork, RegisteredOrganization
from shared.errors import AppError, ErrorCode
from tests.support.fake_intake import FakeIntakeUnitOfWork

SURVEY = (
    "area,concern,comment\n"
    "Eastside,mental health,Teens are stressed\n"
    "eastside ,Counseling,No counselor at school\n"
    "Westside,recycling,Bins overflow\n"
    ",housing,no area\n"
)


@pytest.fixture
def intake() -> IntakeService:
    return IntakeService(Clock(), WallClock())


@pytest.fixture
def uow() -> FakeIntakeUnitOfWork:
    return FakeIntakeUnitOfWork()


@pytest.fixture
async def network(intake: IntakeService, uow: FakeIntakeUnitOfWork) -> CreatedNetwork:
    return await intake.create_network(NetworkInput(name="Lane Network", region="Lane County"), uow)


def organization(network_id: str, name: str, email: str = "", **fields: Any) -> OrganizationInput:
    email = email or f"admin@{name.lower().replace(' ', '-')}.example.org"
    return OrganizationInput.model_validate(
        {"network_id": network_id, "name": name, "admin": {"name": "Ada", "email": email}, **fields}
    )


async def register(
    intake: IntakeService, uow: FakeIntakeUnitOfWork, network_id: str, name: str, **kw: Any
) -> RegisteredOrganization:
    return await intake.register_organization(organization(network_id, name, **kw), True, None, uow)


def need(network_id: str, area: str = "Eastside", focus_area: str = "mental health") -> NeedInput:
    return NeedInput(
        network_id=network_id, title="Teens", focus_area=focus_area, area=area, severity=3
    )


async def test_a_network_gets_an_operator_token_and_announces_nothing(
    intake: IntakeService, uow: FakeIntakeUnitOfWork, network: CreatedNetwork
) -> None:
    holder = await intake.token_holder(network.operator_token, uow)
    assert (holder.role, holder.network_id) == ("OPERATOR", network.network_id)
    found = await intake.network(network.network_id, uow)
    assert found.join_code == network.join_code
    assert uow.events == []


async def test_registering_stores_the_organization_and_its_admin_and_announces_them(
    intake: IntakeService, uow: FakeIntakeUnitOfWork, network: CreatedNetwork
) -> None:
    data = organization(
        network.network_id, "The Green Leaf, Inc.", "Ada@Leaf.org", focus_areas=["recycling"]
    )
    answer = await intake.register_organization(data, False, network.join_code, uow)
    org_id = answer.organization.organization_id
    assert answer.organization.focus_areas == ["environment"]
    admin = await intake.token_holder(answer.admin_token, uow)
    assert (admin.role, admin.organization_id) == ("ORG_ADMIN", org_id)
    [event] = uow.events
    assert (event.type, event.subject) == ("organization.registered", org_id)
    assert event.data["network_name"] == "Lane Network"
    assert event.data["admin"]["email"] == "ada@leaf.org"
    assert uow.answers == [answer]
    assert await intake.organization(org_id, uow) == answer.organization


async def test_a_wrong_join_code_is_answered_like_a_missing_network(
    intake: IntakeService, uow: FakeIntakeUnitOfWork, network: CreatedNetwork
) -> None:
    for network_id, code in [(network.network_id, "wrong"), ("net_missing", None)]:
        with pytest.raises(AppError) as refused:
            await intake.register_organization(organization(network_id, "Green"), False, code, uow)
        assert refused.value.code is ErrorCode.NOT_FOUND
        assert refused.value.message == f"network {network_id} not found"
    assert uow.events == []


async def test_a_second_registration_by_name_or_admin_email_is_a_conflict_naming_the_first(
    intake: IntakeService, uow: FakeIntakeUnitOfWork, network: CreatedNetwork
) -> None:
    first = await register(intake, uow, network.network_id, "Green Leaf", email="a@x.org")
    first_id = first.organization.organization_id
    for name, email in [("the green leaf", "b@x.org"), ("Blue Leaf", "A@x.org")]:
        with pytest.raises(AppError) as refused:
            await register(intake, uow, network.network_id, name, email=email)
        assert refused.value.code is ErrorCode.CONFLICT
        assert refused.value.details == {"existingId": first_id}
    assert uow.types == ["organization.registered"]


async def test_an_update_announces_the_whole_new_profile_and_refuses_a_twin_name(
    intake: IntakeService, uow: FakeIntakeUnitOfWork, network: CreatedNetwork
) -> None:
    await register(intake, uow, network.network_id, "Blue River")
    green = await register(intake, uow, network.network_id, "Green Leaf", mission="Recycling")
    org_id = green.organization.organization_id
    answer = await intake.update_organization(org_id, OrganizationUpdate(mission="Rivers"), uow)
    assert (answer.organization.version, answer.organization.name) == (2, "Green Leaf")
    event = uow.events[-1]
    assert event.type == "organization.updated"
    assert event.data["profile"]["mission"] == "Rivers"
    with pytest.raises(AppError) as refused:
        await intake.update_organization(org_id, OrganizationUpdate(name="The Blue River"), uow)
    assert refused.value.code is ErrorCode.CONFLICT
    assert (await intake.organization(org_id, uow)).name == "Green Leaf"


async def test_archiving_twice_announces_once_and_then_refuses_changes(
    intake: IntakeService, uow: FakeIntakeUnitOfWork, network: CreatedNetwork
) -> None:
    org_id = (
        await register(intake, uow, network.network_id, "Green Leaf")
    ).organization.organization_id
    first = await intake.archive_organization(org_id, uow)
    again = await intake.archive_organization(org_id, uow)
    assert first == again and first.organization.archived is True
    assert uow.answers[1:] == [first]  # the second writes nothing, its answer included
    assert uow.types == ["organization.registered", "organization.archived"]
    for write in (
        intake.update_organization(org_id, OrganizationUpdate(mission="x"), uow),
        intake.add_member(org_id, MemberInput(name="Bo", email="bo@x.org"), uow),
    ):
        with pytest.raises(AppError) as refused:
            await write
        assert refused.value.code is ErrorCode.CONFLICT
    page = await intake.organizations_page(network.network_id, uow)
    assert page.items == []  # archived organizations leave listings


async def test_members_join_once_per_email_and_the_last_admin_stays(
    intake: IntakeService, uow: FakeIntakeUnitOfWork, network: CreatedNetwork
) -> None:
    registered = await register(intake, uow, network.network_id, "Green Leaf")
    org_id = registered.organization.organization_id
    admin_id = registered.admin.member_id
    joined = await intake.add_member(org_id, MemberInput(name="Bo", email="Bo@X.org"), uow)
    assert joined.member.email == "bo@x.org"
    with pytest.raises(AppError) as taken:
        await intake.add_member(org_id, MemberInput(name="Bob", email="bo@x.org"), uow)
    assert taken.value.code is ErrorCode.CONFLICT and taken.value.field == "input.email"

    with pytest.raises(AppError) as last:
        await intake.remove_member(org_id, admin_id, "op", uow)
    assert last.value.code is ErrorCode.CONFLICT
    with pytest.raises(AppError) as elsewhere:
        await intake.remove_member("org_other", joined.member.member_id, "op", uow)
    assert elsewhere.value.code is ErrorCode.NOT_FOUND

    await intake.remove_member(org_id, joined.member.member_id, admin_id, uow)
    with pytest.raises(AppError) as revoked:
        await intake.token_holder(joined.token, uow)
    assert revoked.value.code is ErrorCode.UNAUTHENTICATED
    removed = uow.events[-1]
    assert removed.type == "member.removed" and removed.data["removed_by"] == admin_id
    assert uow.types == ["organization.registered", "member.joined", "member.removed"]


async def test_an_organizations_members_are_listed_by_name_and_a_removed_one_leaves(
    intake: IntakeService, uow: FakeIntakeUnitOfWork, network: CreatedNetwork
) -> None:
    registered = await register(intake, uow, network.network_id, "Green Leaf")
    org_id = registered.organization.organization_id
    joined = await intake.add_member(org_id, MemberInput(name="Al", email="al@x.org"), uow)
    listed = await intake.members(org_id, uow)
    assert [(m.name, m.role) for m in listed] == [("Ada", "ORG_ADMIN"), ("Al", "MEMBER")]
    await intake.remove_member(org_id, joined.member.member_id, "op", uow)
    assert [m.member_id for m in await intake.members(org_id, uow)] == [registered.admin.member_id]
    with pytest.raises(AppError) as missing:
        await intake.members("org_nowhere", uow)
    assert missing.value.code is ErrorCode.NOT_FOUND


async def test_a_need_reported_again_for_the_same_area_and_focus_is_strengthened(
    intake: IntakeService, uow: FakeIntakeUnitOfWork, network: CreatedNetwork
) -> None:
    first = await intake.report_need(need(network.network_id), "mem_1", uow)
    again = await intake.report_need(need(network.network_id, area=" EASTSIDE "), "mem_2", uow)
    other = await intake.report_need(need(network.network_id, area="Westside"), "mem_2", uow)
    assert (first.strengthened, again.strengthened, other.strengthened) == (False, True, False)
    assert again.need.need_id == first.need.need_id and again.need.version == 2
    assert uow.types == ["need.reported", "need.updated", "need.reported"]
    assert await intake.need(first.need.need_id, uow) == again.need
    page = await intake.needs_page(network.network_id, uow, area="eastside")
    assert [edge.node for edge in page.items] == [again.need]
    with pytest.raises(AppError) as refused:
        await intake.report_need(need("net_missing"), "mem_1", uow)
    assert refused.value.code is ErrorCode.NOT_FOUND


async def test_a_survey_creates_and_strengthens_needs_and_the_same_file_changes_nothing(
    intake: IntakeService, uow: FakeIntakeUnitOfWork, network: CreatedNetwork
) -> None:
    network_id = network.network_id
    await intake.report_need(need(network_id), "mem_1", uow)
    parsed = await intake.parse_survey(network_id, SURVEY, 10_000, uow)
    answer = await intake.import_survey(network_id, parsed, uow)
    assert (answer.needs_created, answer.needs_strengthened) == (1, 1)
    assert (answer.rows_imported, answer.rows_rejected) == (3, 1)
    assert answer.rejected_rows[0].row == 5
    assert uow.types == ["need.reported", "need.reported", "need.updated", "survey.imported"]
    assert await intake.import_survey(network_id, parsed, uow) == answer
    assert await intake.first_import(network_id, parsed.sha256, uow) == answer
    assert len(uow.events) == 4


async def test_a_rotated_join_code_replaces_the_old_one_at_once(
    intake: IntakeService, uow: FakeIntakeUnitOfWork, network: CreatedNetwork
) -> None:
    rotated = await intake.rotate_join_code(network.network_id, uow)
    assert rotated.join_code != network.join_code
    assert (await intake.network(network.network_id, uow)).join_code == rotated.join_code
    with pytest.raises(AppError):
        await intake.register_organization(
            organization(network.network_id, "Green"), False, network.join_code, uow
        )
    await intake.register_organization(
        organization(network.network_id, "Green"), False, rotated.join_code, uow
    )


async def test_listing_finds_by_focus_area_resource_and_search_a_page_at_a_time(
    intake: IntakeService, uow: FakeIntakeUnitOfWork, network: CreatedNetwork
) -> None:
    offers = [{"kind": "volunteers", "description": "Saturday crews"}]
    leaf = await register(
        intake, uow, network.network_id, "Green Leaf", focus_areas=["recycling"], offers=offers
    )
    await register(intake, uow, network.network_id, "Blue River", mission="Clean rivers")
    await register(intake, uow, network.network_id, "Youth Chess", focus_areas=["chess club"])

    async def names(**query: Any) -> list[str]:
        page = await intake.organizations_page(network.network_id, uow, **query)
        return sorted(edge.node.name for edge in page.items)

    assert await names(focus_area="environment") == ["Green Leaf"]
    assert await names(resource_kind="volunteers") == ["Green Leaf"]
    assert await names(search="  RIVERS ") == ["Blue River"]
    assert await names(focus_area="chess club") == ["Youth Chess"]
    first = await intake.organizations_page(network.network_id, uow, first=2)
    assert len(first.items) == 2 and first.has_next_page
    rest = await intake.organizations_page(
        network.network_id, uow, first=2, after=first.items[-1].cursor
    )
    assert len(rest.items) == 1 and not rest.has_next_page
    found = await intake.organizations_by_ids([leaf.organization.organization_id, "org_x"], uow)
    assert list(found) == [leaf.organization.organization_id]


async def test_a_write_that_fails_in_its_unit_of_work_leaves_nothing(
    intake: IntakeService, uow: FakeIntakeUnitOfWork, network: CreatedNetwork
) -> None:
    async def lost(result: Any) -> None:
        raise RuntimeError("the answer could not be stored")

    uow.answer = lost  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        await register(intake, uow, network.network_id, "Green Leaf")
    assert uow.events == [] and uow.tables["organizations"] == {}
    assert uow.tables["members"] == {}
