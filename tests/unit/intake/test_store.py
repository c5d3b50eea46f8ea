"""Intake's repositories and unit of work against a real document store: a write and its
events and answer commit together or not at all, an Idempotency-Key writes once, the unique
indexes refuse what a race would duplicate, and a write outside `async with uow:` is refused.
What the use cases decide is tested against the fake (tests/unit/intake/test_usecases.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.errors import DuplicateKeyError

from services.intake.domain import NeedInput, NetworkInput, OrganizationInput
from services.intake.service import IntakeService
from services.intake.store import INDEXES, MongoIntakeUnitOfWork
from shared.clock import Clock, WallClock
from shared.contracts import OrganizationArchived, OrganizationProfile
from shared.contracts.intake import (
    CreatedNetwork,
    NeedAnswer,
    RegisteredOrganization,
    SurveyImport,
)
from shared.errors import AppError
from shared.idempotency import IDEMPOTENCY, Idempotency, WriteOnce
from shared.mongo import Database, Document, Session, ensure_indexes, retry_transient
from shared.outbox import Outbox
from tests.support.documents import outbox_events

HEADER = "area,concern,comment\n"


@pytest.fixture
async def outbox(mongo: AsyncMongoClient[Document], database: Database) -> Outbox:
    await ensure_indexes(database, INDEXES)
    return Outbox(mongo, database, source="commonweave/intake")


@pytest.fixture
def intake() -> IntakeService:
    return IntakeService(Clock(), WallClock())


@pytest.fixture
async def network(intake: IntakeService, outbox: Outbox) -> CreatedNetwork:
    created = NetworkInput(name="Lane Network", region="Lane County")
    return await intake.create_network(created, MongoIntakeUnitOfWork(outbox))


def organization(network_id: str, name: str = "Green Leaf") -> OrganizationInput:
    return OrganizationInput.model_validate(
        {"network_id": network_id, "name": name, "admin": {"name": "Ada", "email": "a@x.org"}}
    )


async def types(database: Database) -> list[str]:
    return [e.type for e in await outbox_events(database)]


async def test_a_registration_commits_its_documents_event_and_answer_together(
    intake: IntakeService, outbox: Outbox, network: CreatedNetwork, database: Database
) -> None:
    uow = MongoIntakeUnitOfWork(outbox)
    once = WriteOnce(Idempotency(database[IDEMPOTENCY], "key-1", "POST /organizations"))
    data = organization(network.network_id)

    async def call() -> dict[str, Any]:
        return await once.run(
            data, uow, lambda: intake.register_organization(data, True, None, uow)
        )

    first = await call()
    assert await call() == first  # the same key: the first answer, nothing written again
    assert await types(database) == ["organization.registered"]
    org_id = first["organization"]["organization_id"]
    assert (await uow.organizations.get(org_id)) is not None
    holder = await intake.token_holder(first["adminToken"], uow)
    assert holder.organization_id == org_id


def unit_of_work_losing_its_answer(outbox: Outbox) -> MongoIntakeUnitOfWork:
    """A unit of work whose idempotent answer cannot be stored: its write must be undone."""

    async def lost(session: Session, answer: Any) -> None:
        raise RuntimeError("the answer could not be stored")

    uow = MongoIntakeUnitOfWork(outbox)
    uow.remember = lost
    return uow


async def test_an_answer_that_cannot_be_kept_undoes_the_write(
    intake: IntakeService, outbox: Outbox, network: CreatedNetwork, database: Database
) -> None:
    uow = unit_of_work_losing_its_answer(outbox)
    with pytest.raises(RuntimeError):
        await intake.register_organization(organization(network.network_id), True, None, uow)
    assert await database["organizations"].count_documents({}) == 0
    assert await database["members"].count_documents({}) == 0
    assert await outbox_events(database) == []


async def test_two_registrations_of_one_name_racing_commit_one(
    intake: IntakeService, outbox: Outbox, network: CreatedNetwork, database: Database
) -> None:
    def register() -> Awaitable[RegisteredOrganization]:
        uow = MongoIntakeUnitOfWork(outbox)
        data = organization(network.network_id)
        return retry_transient(lambda: intake.register_organization(data, True, None, uow))

    results = await asyncio.gather(register(), register(), return_exceptions=True)
    refused = [r for r in results if isinstance(r, BaseException)]
    # the unique index refuses the second, or its check before writing saw the first
    assert len(refused) == 1 and isinstance(refused[0], DuplicateKeyError | AppError)
    assert await types(database) == ["organization.registered"]


async def test_a_write_outside_its_unit_of_work_is_refused_and_events_keep_their_topic(
    intake: IntakeService, outbox: Outbox, network: CreatedNetwork, database: Database
) -> None:
    registered = await intake.register_organization(
        organization(network.network_id), True, None, MongoIntakeUnitOfWork(outbox)
    )
    uow = MongoIntakeUnitOfWork(outbox)
    with pytest.raises(RuntimeError, match="async with uow"):
        await uow.networks.set_join_code(network.network_id, "new-code")
    profile: OrganizationProfile = registered.organization
    async with uow:
        envelope = await uow.publish(OrganizationArchived(profile=profile), "org_1")
        with pytest.raises(TypeError):
            await uow.publish(profile, "org_1")  # a profile is no event's contract
    assert envelope.type == "organization.archived"
    assert await types(database) == ["organization.registered", "organization.archived"]


def need_report(network_id: str, responses: int) -> NeedInput:
    return NeedInput.model_validate(
        {
            "network_id": network_id,
            "title": "Teens",
            "focus_area": "mental health",
            "area": "Eastside",
            "severity": 2,
            "evidence": {"source": "nurse", "responses": responses},
        }
    )


async def test_reports_of_one_need_racing_each_strengthen_it(
    intake: IntakeService, outbox: Outbox, network: CreatedNetwork, database: Database
) -> None:
    """Each reads the need in its transaction: the one that loses the race conflicts, runs
    again on what won, and its evidence adds up too (nothing is lost, nothing duplicated)."""

    def report(responses: int) -> Awaitable[NeedAnswer]:
        uow = MongoIntakeUnitOfWork(outbox)
        data = need_report(network.network_id, responses)
        return retry_transient(lambda: intake.report_need(data, "mem_1", uow))

    await asyncio.gather(report(1), report(2), report(4))
    [stored] = await database["needs"].find().to_list()
    assert stored["version"] == 3 and stored["evidence"] == [{"source": "nurse", "responses": 7}]
    assert await types(database) == ["need.reported", "need.updated", "need.updated"]


async def test_surveys_racing_over_the_same_needs_both_count(
    intake: IntakeService, outbox: Outbox, network: CreatedNetwork, database: Database
) -> None:
    net = network.network_id
    rows = "".join(f"Area {i},{c},x\n" for i in range(20) for c in ("housing", "parks"))
    await intake.import_survey(
        net, await intake.parse_survey(net, HEADER + rows, 10_000, MongoIntakeUnitOfWork(outbox)),
        MongoIntakeUnitOfWork(outbox),
    )  # fmt: skip

    async def again(comment: str) -> SurveyImport:
        uow = MongoIntakeUnitOfWork(outbox)
        parsed = await intake.parse_survey(net, HEADER + rows.replace("x", comment), 10_000, uow)
        return await retry_transient(lambda: intake.import_survey(net, parsed, uow))

    answers = await asyncio.gather(again("y"), again("z"))
    assert [a.needs_strengthened for a in answers] == [40, 40]
    needs = await database["needs"].find().to_list()
    assert len(needs) == 40
    assert {(n["version"], n["evidence"][0]["responses"]) for n in needs} == {(3, 3)}
    assert (await types(database)).count("need.updated") == 80


async def test_a_survey_whose_write_fails_leaves_nothing(
    intake: IntakeService, outbox: Outbox, network: CreatedNetwork, database: Database
) -> None:
    uow = unit_of_work_losing_its_answer(outbox)
    parsed = await intake.parse_survey(network.network_id, HEADER + "North,food,x\n", 10, uow)
    with pytest.raises(RuntimeError):
        await intake.import_survey(network.network_id, parsed, uow)
    for collection in ("needs", "survey_imports"):
        assert await database[collection].count_documents({}) == 0
    assert await outbox_events(database) == []
