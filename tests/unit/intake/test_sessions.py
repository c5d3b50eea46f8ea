"""Signing in to /app, intake's side, against the fake unit of work: a link per membership of
the email (the operator's too) announced for notifications to email, none for an unknown
email; a link works once and not for a member removed since; a session ends alone or with
every other of its member's, never an API token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.intake.domain import MemberInput, NetworkInput, OrganizationInput
from services.intake.service import IntakeService
from services.intake.service.sessions import Sessions
from shared.clock import Clock, WallClock
from shared.contracts import SignInRequested, operator_member_id
from shared.errors import AppError, ErrorCode
from tests.support.fake_intake import FakeIntakeUnitOfWork

ANN = "ann@greenleaf.example"


@pytest.fixture
def uow() -> FakeIntakeUnitOfWork:
    return FakeIntakeUnitOfWork()


NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def wall() -> Clock:
    """The wall clock the lifetimes run on, held still (a test moves it, nothing sleeps)."""
    clock = Clock()
    clock.set(NOON)
    return clock


@pytest.fixture
def sessions(wall: Clock) -> Sessions:
    return Sessions("a-service-secret", wall)


async def member_of_a_network(uow: FakeIntakeUnitOfWork) -> tuple[str, str, str]:
    """A network operated from ANN's address, with an organization whose admin is ANN and
    a member; answers the network id, the admin's id and token."""
    intake = IntakeService(Clock(), WallClock())
    network = await intake.create_network(
        NetworkInput(name="Lane", region="Lane County", operator_email=ANN), uow
    )
    data = OrganizationInput.model_validate(
        {
            "network_id": network.network_id,
            "name": "Green Leaf",
            "admin": {"name": "Ann", "email": ANN},
        }
    )
    org = await intake.register_organization(data, True, None, uow)
    member = MemberInput(name="Bo", email="bo@greenleaf.example")
    await intake.add_member(org.organization.organization_id, member, uow)
    return network.network_id, org.admin.member_id, org.admin_token


def asked(uow: FakeIntakeUnitOfWork) -> list[SignInRequested]:
    """The sign-in links announced, oldest first."""
    return [e.payload for e in uow.events if isinstance(e.payload, SignInRequested)]


async def test_a_link_goes_out_per_membership_and_none_for_an_unknown_email(
    sessions: Sessions, uow: FakeIntakeUnitOfWork
) -> None:
    network_id, admin_id, _ = await member_of_a_network(uow)
    before = len(uow.events)
    assert (await sessions.request_links(ANN.upper(), uow)).sent == 2
    assert uow.types[before:] == ["member.sign_in_requested"] * 2
    links = asked(uow)
    assert sorted(e.member_id for e in links) == sorted([admin_id, operator_member_id(network_id)])
    assert [e.subject for e in uow.events[before:]] == [e.member_id for e in links]
    assert {(e.email, e.network_name) for e in links} == {(ANN, "Lane")}
    assert (await sessions.request_links("nobody@example.org", uow)).sent == 0
    assert len(uow.events) == before + 2


async def test_a_link_works_once_and_its_session_ends_alone_or_everywhere(
    sessions: Sessions, uow: FakeIntakeUnitOfWork
) -> None:
    _, admin_id, api_token = await member_of_a_network(uow)
    await sessions.request_links(ANN, uow)
    tokens = {e.member_id: e.token for e in asked(uow)}
    first = await sessions.redeem(tokens[admin_id], uow)
    assert (first.member_id, first.role) == (admin_id, "ORG_ADMIN")
    with pytest.raises(AppError) as again:
        await sessions.redeem(tokens[admin_id], uow)
    assert again.value.code is ErrorCode.UNAUTHENTICATED
    with pytest.raises(AppError):
        await sessions.redeem("not-a-signed-token", uow)

    await sessions.request_links(ANN, uow)
    newest = [e for e in asked(uow) if e.member_id == admin_id][-1]
    second = await sessions.redeem(newest.token, uow)
    assert (await sessions.end(first.token, False, uow)).ended == 1
    assert (await sessions.end(first.token, False, uow)).ended == 0
    assert (await sessions.end(second.token, True, uow)).ended == 1
    holder = await IntakeService(Clock(), WallClock()).token_holder(api_token, uow)
    assert holder.member_id == admin_id  # the API token still works


async def test_a_member_removed_since_the_link_was_sent_cannot_use_it(
    sessions: Sessions, uow: FakeIntakeUnitOfWork
) -> None:
    _, admin_id, _ = await member_of_a_network(uow)
    await sessions.request_links("bo@greenleaf.example", uow)
    [link] = asked(uow)
    assert link.organization_id is not None
    await IntakeService(Clock(), WallClock()).remove_member(
        link.organization_id, link.member_id, admin_id, uow
    )
    with pytest.raises(AppError) as refused:
        await sessions.redeem(link.token, uow)
    assert refused.value.code is ErrorCode.UNAUTHENTICATED
    assert not any(t.get("kind") == "session" for t in uow.tables["tokens"].values())


async def test_a_link_expires_after_15_minutes_by_the_wall_clock(
    sessions: Sessions, uow: FakeIntakeUnitOfWork, wall: Clock
) -> None:
    _, admin_id, _ = await member_of_a_network(uow)
    await sessions.request_links(ANN, uow)
    link = [e for e in asked(uow) if e.member_id == admin_id][-1]
    assert link.expires_at == NOON + timedelta(minutes=15)
    wall.set(NOON + timedelta(minutes=15, seconds=1))
    with pytest.raises(AppError) as late:
        await sessions.redeem(link.token, uow)
    assert late.value.code is ErrorCode.UNAUTHENTICATED
    wall.set(NOON + timedelta(minutes=14))
    assert (await sessions.redeem(link.token, uow)).member_id == admin_id  # unused until now


async def test_a_link_signed_over_15_minutes_ago_is_refused_by_its_signature(
    sessions: Sessions, uow: FakeIntakeUnitOfWork, wall: Clock
) -> None:
    """itsdangerous judges the signed link's age on the injected clock too: a link signed
    16 minutes ago is refused even when its stored record would still be open."""
    _, admin_id, _ = await member_of_a_network(uow)
    wall.set(NOON - timedelta(minutes=16))
    await sessions.request_links(ANN, uow)
    link = [e for e in asked(uow) if e.member_id == admin_id][-1]
    for stored in uow.tables["sign_in_links"].values():
        stored["expires_at"] = NOON + timedelta(hours=1)  # only the signature can refuse it
    wall.set(NOON)
    with pytest.raises(AppError):
        await sessions.redeem(link.token, uow)


async def test_a_session_ends_after_8_hours_by_the_wall_clock_not_the_service_clock(
    sessions: Sessions, uow: FakeIntakeUnitOfWork, wall: Clock
) -> None:
    _, admin_id, _ = await member_of_a_network(uow)
    await sessions.request_links(ANN, uow)
    link = [e for e in asked(uow) if e.member_id == admin_id][-1]
    session = await sessions.redeem(link.token, uow)
    assert session.expires_at == NOON + timedelta(hours=8)
    service_clock = Clock()
    service_clock.set(NOON + timedelta(days=91))  # a test moving the schedule a quarter
    intake = IntakeService(service_clock, wall)
    wall.set(NOON + timedelta(hours=7, minutes=59))
    assert (await intake.token_holder(session.token, uow)).member_id == admin_id
    wall.set(NOON + timedelta(hours=8))
    with pytest.raises(AppError) as ended:
        await intake.token_holder(session.token, uow)
    assert ended.value.code is ErrorCode.UNAUTHENTICATED
