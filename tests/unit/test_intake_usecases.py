"""Intake's use cases against a real document store, without the stack: what each write
stores and announces, what it refuses, and that an answer and its write commit together."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo import AsyncMongoClient

from services.intake.domain import (
    MemberInput,
    NeedInput,
    NetworkInput,
    OrganizationInput,
    OrganizationUpdate,
)
from services.intake.service import IntakeService
from services.intake.store import INDEXES, IntakeStore
from services.intake.tokens import token_hash
from shared.clock import Clock
from shared.errors import AppError, ErrorCode
from shared.idempotency import IDEMPOTENCY, Idempotency, WriteOnce
from shared.mongo import Database, Document, Session, ensure_indexes
from shared.outbox import Outbox
from tests.support.documents import outbox_events

SURVEY = (
    "area,concern,comment\n"
    "Eastside,mental health,Teens are stressed\n"
    "eastside ,Counseling,No counselor at school\n"
    "Westside,recycling,Bins overflow\n"
    ",housing,no area\n"
)


@pytest.fixture
async def intake(mongo: AsyncMongoClient[Document], database: Database) -> IntakeService:
    await ensure_indexes(database, INDEXES)
    outbox = Outbox(mongo, database, source="commonweave/intake")
    return IntakeService(IntakeStore(database), outbox, Clock())


@pytest.fixture
async def network(intake: IntakeService) -> dict[str, str]:
    return await intake.create_network(NetworkInput(name="Lane Network", region="Lane County"))


def organization(network_id: str, name: str, email: str = "", **fields: Any) -> OrganizationInput:
    email = email or f"admin@{name.lower().replace(' ', '-')}.example.org"
    return OrganizationInput.model_validate(
        {"network_id": network_id, "name": name, "admin": {"name": "Ada", "email": email}, **fields}
    )


async def register(intake: IntakeService, network_id: str, name: str, **kw: Any) -> dict[str, Any]:
    return await intake.register_organization(organization(network_id, name, **kw), True, None)


def need(network_id: str, area: str = "Eastside", focus_area: str = "mental health") -> NeedInput:
    return NeedInput(
        network_id=network_id, title="Teens", focus_area=focus_area, area=area, severity=3
    )


async def types(database: Database) -> list[str]:
    return [e.type for e in await outbox_events(database)]


async def test_a_network_gets_an_operator_token_and_announces_nothing(
    intake: IntakeService, network: dict[str, str], database: Database
) -> None:
    token = await intake.store.token(token_hash(network["operatorToken"]))
    assert token is not None and token["role"] == "OPERATOR"
    assert token["network_id"] == network["networkId"]
    found = await intake.store.network(network["networkId"])
    assert found is not None and found["join_code"] == network["joinCode"]
    assert await outbox_events(database) == []


async def test_registering_stores_the_organization_and_its_admin_and_announces_them(
    intake: IntakeService, network: dict[str, str], database: Database
) -> None:
    data = organization(
        network["networkId"], "The Green Leaf, Inc.", "Ada@Leaf.org", focus_areas=["recycling"]
    )
    answer = await intake.register_organization(data, False, network["joinCode"])
    org_id = answer["organization"]["organization_id"]
    assert answer["organization"]["focus_areas"] == ["environment"]
    admin = await intake.store.token(token_hash(answer["adminToken"]))
    assert admin is not None and admin["role"] == "ORG_ADMIN"
    assert admin["organization_id"] == org_id
    [event] = await outbox_events(database)
    assert (event.type, event.subject) == ("organization.registered", org_id)
    assert event.data["network_name"] == "Lane Network"
    assert event.data["admin"]["email"] == "ada@leaf.org"


async def test_a_wrong_join_code_is_answered_like_a_missing_network(
    intake: IntakeService, network: dict[str, str], database: Database
) -> None:
    for network_id, code in [(network["networkId"], "wrong"), ("net_missing", None)]:
        with pytest.raises(AppError) as refused:
            await intake.register_organization(organization(network_id, "Green"), False, code)
        assert refused.value.code is ErrorCode.NOT_FOUND
    assert await outbox_events(database) == []


async def test_a_second_registration_by_name_or_admin_email_is_a_conflict_naming_the_first(
    intake: IntakeService, network: dict[str, str]
) -> None:
    first = await register(intake, network["networkId"], "Green Leaf", email="a@x.org")
    first_id = first["organization"]["organization_id"]
    for name, email in [("the green leaf", "b@x.org"), ("Blue Leaf", "A@x.org")]:
        with pytest.raises(AppError) as refused:
            await register(intake, network["networkId"], name, email=email)
        assert refused.value.code is ErrorCode.CONFLICT
        assert refused.value.details == {"existingId": first_id}


async def test_an_answer_that_cannot_be_kept_undoes_the_write(
    intake: IntakeService, network: dict[str, str], database: Database
) -> None:
    async def lost(session: Session, answer: Any) -> None:
        raise RuntimeError("the answer could not be stored")

    data = organization(network["networkId"], "Green Leaf")
    with pytest.raises(RuntimeError):
        await intake.register_organization(data, True, None, lost)
    assert (
        await intake.store.find_duplicate_organization(
            network["networkId"], "green leaf", "admin@green-leaf.example.org"
        )
        is None
    )
    assert await outbox_events(database) == []


async def test_a_repeated_idempotency_key_answers_the_first_answer_and_writes_once(
    intake: IntakeService, network: dict[str, str], database: Database
) -> None:
    data = organization(network["networkId"], "Green Leaf")

    async def call() -> dict[str, Any]:
        once = WriteOnce(Idempotency(database[IDEMPOTENCY], "key-1", "POST /organizations"))
        return await once(data, lambda a: intake.register_organization(data, True, None, a))

    first = await call()
    assert await call() == first
    assert await types(database) == ["organization.registered"]


async def test_an_update_announces_the_whole_new_profile_and_refuses_a_twin_name(
    intake: IntakeService, network: dict[str, str], database: Database
) -> None:
    await register(intake, network["networkId"], "Blue River")
    green = await register(intake, network["networkId"], "Green Leaf", mission="Recycling")
    org_id = green["organization"]["organization_id"]
    update = OrganizationUpdate.model_validate({"mission": "Rivers"})
    answer = await intake.update_organization(org_id, update)
    assert answer["organization"]["version"] == 2
    assert answer["organization"]["name"] == "Green Leaf"
    event = (await outbox_events(database))[-1]
    assert event.type == "organization.updated" and event.data["profile"]["mission"] == "Rivers"
    with pytest.raises(AppError) as refused:
        await intake.update_organization(org_id, OrganizationUpdate(name="The Blue River"))
    assert refused.value.code is ErrorCode.CONFLICT


async def test_archiving_twice_announces_once_and_then_refuses_changes(
    intake: IntakeService, network: dict[str, str], database: Database
) -> None:
    org_id = (await register(intake, network["networkId"], "Green Leaf"))["organization"][
        "organization_id"
    ]
    answers: list[Any] = []

    async def answered(session: Session, answer: Any) -> None:
        answers.append(answer)

    first = await intake.archive_organization(org_id, answered)
    again = await intake.archive_organization(org_id, answered)
    assert first == again and first["organization"]["archived"] is True
    assert answers == [first]  # the second writes nothing, its answer included
    assert await types(database) == ["organization.registered", "organization.archived"]
    for write in (
        intake.update_organization(org_id, OrganizationUpdate(mission="x")),
        intake.add_member(org_id, MemberInput(name="Bo", email="bo@x.org")),
    ):
        with pytest.raises(AppError) as refused:
            await write
        assert refused.value.code is ErrorCode.CONFLICT


async def test_members_join_once_per_email_and_the_last_admin_stays(
    intake: IntakeService, network: dict[str, str], database: Database
) -> None:
    registered = await register(intake, network["networkId"], "Green Leaf")
    org_id = registered["organization"]["organization_id"]
    admin_id = registered["admin"]["member_id"]
    joined = await intake.add_member(org_id, MemberInput(name="Bo", email="Bo@X.org"))
    assert joined["member"]["email"] == "bo@x.org"
    with pytest.raises(AppError) as taken:
        await intake.add_member(org_id, MemberInput(name="Bob", email="bo@x.org"))
    assert taken.value.code is ErrorCode.CONFLICT and taken.value.field == "input.email"

    with pytest.raises(AppError) as last:
        await intake.remove_member(org_id, admin_id, "op")
    assert last.value.code is ErrorCode.CONFLICT
    with pytest.raises(AppError) as elsewhere:
        await intake.remove_member("org_other", joined["member"]["member_id"], "op")
    assert elsewhere.value.code is ErrorCode.NOT_FOUND

    await intake.remove_member(org_id, joined["member"]["member_id"], admin_id)
    assert await intake.store.token(token_hash(joined["token"])) is None
    removed = (await outbox_events(database))[-1]
    assert removed.type == "member.removed" and removed.data["removed_by"] == admin_id
    assert await types(database) == ["organization.registered", "member.joined", "member.removed"]


async def test_a_need_reported_again_for_the_same_area_and_focus_is_strengthened(
    intake: IntakeService, network: dict[str, str], database: Database
) -> None:
    first = await intake.report_need(need(network["networkId"]), "mem_1")
    again = await intake.report_need(need(network["networkId"], area=" EASTSIDE "), "mem_2")
    other = await intake.report_need(need(network["networkId"], area="Westside"), "mem_2")
    assert (first["strengthened"], again["strengthened"], other["strengthened"]) == (
        False,
        True,
        False,
    )
    assert again["need"]["need_id"] == first["need"]["need_id"]
    assert again["need"]["version"] == 2
    assert await types(database) == ["need.reported", "need.updated", "need.reported"]
    with pytest.raises(AppError) as refused:
        await intake.report_need(need("net_missing"), "mem_1")
    assert refused.value.code is ErrorCode.NOT_FOUND


async def test_a_survey_creates_and_strengthens_needs_and_the_same_file_changes_nothing(
    intake: IntakeService, network: dict[str, str], database: Database
) -> None:
    network_id = network["networkId"]
    await intake.report_need(need(network_id), "mem_1")
    parsed = await intake.parse_survey(network_id, SURVEY, progress_every=10_000)
    answer = await intake.import_survey(network_id, parsed)
    assert answer["needsCreated"] == 1 and answer["needsStrengthened"] == 1
    assert (answer["rowsImported"], answer["rowsRejected"]) == (3, 1)
    assert answer["rejectedRows"][0]["row"] == 5
    assert await types(database) == [
        "need.reported",
        "need.reported",
        "need.updated",
        "survey.imported",
    ]
    assert await intake.import_survey(network_id, parsed) == answer
    assert await intake.first_import(network_id, parsed.sha256) == answer
    assert len(await outbox_events(database)) == 4


async def test_a_rotated_join_code_replaces_the_old_one_at_once(
    intake: IntakeService, network: dict[str, str]
) -> None:
    rotated = await intake.rotate_join_code(network["networkId"])
    assert rotated["joinCode"] != network["joinCode"]
    with pytest.raises(AppError):
        await intake.register_organization(
            organization(network["networkId"], "Green"), False, network["joinCode"]
        )
    await intake.register_organization(
        organization(network["networkId"], "Green"), False, rotated["joinCode"]
    )
