"""Commitments' use cases against the fake unit of work (milliseconds, no database): forming a
partnership, the first real work making it active, closing a commitment moving health
and reliability in the same transaction, health kept over time with its early warnings, and
a commitment made for another organization counting only once that organization accepts it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.commitments.domain.models import (
    CheckInCadence,
    CheckInInput,
    CommitmentAnswer,
    CommitmentInput,
    CommitmentStatus,
    CommitmentUpdate,
    PartnershipChanges,
    PartnershipInput,
    PartnershipStatus,
)
from services.commitments.domain.records import partnership_id_for_match
from services.commitments.service import Scheduler, Tracker
from shared.clock import Clock
from shared.contracts import MatchAccepted, MatchParty, OrganizationProfile
from shared.errors import AppError, ErrorCode
from shared.settings import Settings
from tests.support.fake_commitments import FakeCommitmentsUnitOfWork

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DONE, MISSED = CommitmentStatus.DONE, CommitmentStatus.MISSED
DAY = timedelta(days=1)


@pytest.fixture
def tracker() -> Tracker:
    clock = Clock()
    clock.set(NOW)
    return Tracker(clock, Settings(_env_file=None))


@pytest.fixture
def uow() -> FakeCommitmentsUnitOfWork:
    return FakeCommitmentsUnitOfWork()


def partnership(*organization_ids: str) -> PartnershipInput:
    ids = list(organization_ids) or ["org_a", "org_b"]
    return PartnershipInput(network_id="net_1", name="Lane Health", organization_ids=ids)


async def test_a_partnership_forms_with_roles_from_what_each_partner_offers(
    tracker: Tracker, uow: FakeCommitmentsUnitOfWork
) -> None:
    offers = {"org_a": ["outreach"], "org_b": ["funding"]}
    formed = await tracker.form(partnership(), offers, uow)
    assert formed.status is PartnershipStatus.FORMING
    assert [r.title for r in formed.roles] == ["Outreach lead", "Funding lead"]
    assert formed.next_check_in_at == NOW + timedelta(days=14)
    [event] = uow.events
    assert (event.type, event.subject) == ("partnership.formed", formed.id)
    assert await tracker.partnership(formed.id, uow) == formed
    assert uow.answers == [formed]


async def test_an_archived_or_foreign_organization_cannot_join(
    tracker: Tracker, uow: FakeCommitmentsUnitOfWork
) -> None:
    for org, network, archived in [("org_b", "net_1", True), ("org_c", "net_2", False)]:
        profile = OrganizationProfile(
            organization_id=org, network_id=network, version=1, name=org, archived=archived
        )
        async with uow:
            await tracker.keep_profile(profile, uow)
    for ids, field in [(("org_a", "org_b"), 1), (("org_c", "org_a"), 0)]:
        with pytest.raises(AppError) as refused:
            await tracker.form(partnership(*ids), {}, uow)
        assert refused.value.code is ErrorCode.BAD_USER_INPUT
        assert refused.value.field == f"input.organization_ids[{field}]"
    assert uow.events == [] and uow.tables["partnerships"] == {}


async def test_an_accepted_match_forms_one_partnership_however_often_it_arrives(
    tracker: Tracker, uow: FakeCommitmentsUnitOfWork
) -> None:
    accepted = MatchAccepted(
        match_id="mat_1",
        network_id="net_1",
        parties=[
            MatchParty(organization_id="org_a", name="Neighbors United"),
            MatchParty(organization_id="org_b", name="Lane Foundation"),
        ],
        score=0.8,
        reasons=["Both work on community health"],
        offers={"org_b": ["funding"]},
    )
    for _ in range(2):
        async with uow:
            await tracker.form_from_match(accepted, uow)
    found = await tracker.partnership(partnership_id_for_match("mat_1"), uow)
    assert found.name == "Neighbors United & Lane Foundation"
    assert found.goals == ["Both work on community health"] and found.match_id == "mat_1"
    assert uow.types == ["partnership.formed"]


async def test_partners_name_a_matched_partnership_and_set_its_goals_cadence_and_need(
    tracker: Tracker, uow: FakeCommitmentsUnitOfWork
) -> None:
    accepted = MatchAccepted(
        match_id="mat_2",
        network_id="net_1",
        parties=[MatchParty(organization_id=o, name=o) for o in ("org_a", "org_b")],
        score=0.8,
        reasons=["Both work on recycling"],
    )
    async with uow:
        await tracker.form_from_match(accepted, uow)
    pid = partnership_id_for_match("mat_2")
    held = NOW + 10 * DAY
    tracker.clock.set(held)
    await tracker.record_check_in(pid, CheckInInput(held_at=held), uow)
    tracker.clock.set(NOW + 34 * DAY)  # biweekly, 1 of 2 periods would have a check-in
    changes = PartnershipChanges(
        name="Westside School Recycling",
        goals=["Bins in every classroom"],
        check_in_cadence=CheckInCadence.MONTHLY,
        need_id="need_1",
    )
    updated = await tracker.update(pid, changes, uow)
    assert (updated.name, updated.goals, updated.need_id) == (
        "Westside School Recycling",
        ["Bins in every classroom"],
        "need_1",
    )
    assert updated.check_in_cadence == "monthly"
    assert updated.next_check_in_at == held + 30 * DAY  # from the last check-in
    assert updated.status is PartnershipStatus.ACTIVE  # unchanged: no work done
    # re-scored monthly: the one period so far had its check-in
    [regularity] = updated.health.parts
    assert (regularity.score, regularity.detail) == (1.0, "1 of 1 check-ins held")
    # a field left out stays as it was
    renamed = await tracker.update(pid, PartnershipChanges(name="WSR"), uow)
    assert renamed.goals == ["Bins in every classroom"] and renamed.need_id == "need_1"
    assert uow.types.count("partnership.updated") == 2


async def test_a_commitment_activates_the_partnership_and_closing_it_moves_reliability(
    tracker: Tracker, uow: FakeCommitmentsUnitOfWork
) -> None:
    formed = await tracker.form(partnership(), {}, uow)
    with pytest.raises(AppError) as past:
        due = NOW - timedelta(days=1)
        await tracker.make_commitment(
            formed.id, CommitmentInput(owner_organization_id="org_a", title="x", due_at=due), uow
        )
    assert past.value.code is ErrorCode.BAD_USER_INPUT
    made = await tracker.make_commitment(
        formed.id,
        CommitmentInput(owner_organization_id="org_a", title="Flyers", due_at=NOW + timedelta(7)),
        uow,
    )
    active = await tracker.partnership(formed.id, uow)
    assert active.status is PartnershipStatus.ACTIVE

    done = await tracker.update_commitment(made.id, CommitmentUpdate(status=DONE), uow)
    assert done.status is CommitmentStatus.DONE and done.closed_at == NOW
    assert await tracker.commitment(made.id, uow) == done
    assert uow.types[:3] == ["partnership.formed", "commitment.made", "commitment.fulfilled"]
    assert "organization.reliability_changed" in uow.types
    reliability = await tracker.reliability(["org_a"], uow)
    assert reliability["org_a"].closed_commitments == 1
    with pytest.raises(AppError) as again:
        await tracker.update_commitment(made.id, CommitmentUpdate(status=MISSED), uow)
    assert again.value.code is ErrorCode.CONFLICT


def weekly() -> PartnershipInput:
    return PartnershipInput(
        network_id="net_1",
        name="Lane Health",
        organization_ids=["org_a", "org_b"],
        check_in_cadence=CheckInCadence.WEEKLY,
    )


async def test_health_is_kept_as_points_and_two_falls_in_a_row_warn_once(
    tracker: Tracker, uow: FakeCommitmentsUnitOfWork
) -> None:
    formed = await tracker.form(weekly(), {}, uow)
    pid = formed.id
    held = CheckInInput(held_at=NOW + timedelta(days=1))
    tracker.clock.set(NOW + timedelta(days=1))
    await tracker.record_check_in(pid, held, uow)
    made = await tracker.make_commitment(
        pid,
        CommitmentInput(owner_organization_id="org_a", title="Flyers", due_at=NOW + DAY * 3),
        uow,
    )
    tracker.clock.set(NOW + timedelta(days=2))
    await tracker.update_commitment(made.id, CommitmentUpdate(status=DONE), uow)
    scheduler = Scheduler(tracker, lambda: uow)
    # No check-in after the first: regularity 1/1, then 1/2, then 1/3.
    for days in (8, 15, 22, 22.5):
        await scheduler.tick(NOW + timedelta(days=days))

    points = await tracker.health_history(pid, None, None, uow)
    assert [(p["at"] - NOW, p["score"]) for p in points] == [
        (timedelta(0), 0.5),
        (DAY * 2, 1.0),
        (DAY * 8, 1.0),
        (DAY * 15, pytest.approx(0.7917, abs=1e-4)),
        (DAY * 22, pytest.approx(0.7222, abs=1e-4)),
    ]
    window = await tracker.health_history(pid, NOW + DAY * 8, NOW + DAY * 15, uow)
    assert [p["at"] - NOW for p in window] == [DAY * 8, DAY * 15]
    tracker.clock.set(NOW + DAY * 23)
    assert await tracker.health_trends([pid], uow) == {pid: "declining"}

    [warning] = [e for e in uow.events if e.type == "partnership.health_warning"]
    assert warning.subject == pid
    data = warning.data
    assert data["reason"] == "declining"
    assert data["part"]["name"] == "check_in_regularity"
    assert data["part"]["detail"] == "1 of 3 check-ins held"
    assert "Check-in regularity fell from 1.00 to 0.33" in data["summary"]
    kept = (await tracker.health_warnings([pid], uow))[pid]
    assert [(w.at, w.reason, w.summary) for w in kept] == [
        (NOW + DAY * 22, "declining", data["summary"])
    ]
    # a reminder is sent once: the next tick at the same time sends nothing
    assert await scheduler.tick(NOW + timedelta(days=22.5)) == 0


async def test_a_commitment_for_another_organization_counts_only_once_it_accepts(
    tracker: Tracker, uow: FakeCommitmentsUnitOfWork
) -> None:
    formed = await tracker.form(partnership(), {}, uow)
    pid = formed.id

    def asked(title: str) -> CommitmentInput:
        return CommitmentInput(owner_organization_id="org_b", title=title, due_at=NOW + DAY * 7)

    proposed = await tracker.make_commitment(pid, asked("Hall"), uow, "org_a")
    own = await tracker.make_commitment(
        pid,
        CommitmentInput(owner_organization_id="org_a", title="Flyers", due_at=NOW + DAY * 7),
        uow,
        "org_a",
    )
    assert (proposed.status, own.status) == ("proposed", "open")
    with pytest.raises(AppError) as unanswered:
        await tracker.update_commitment(proposed.id, CommitmentUpdate(status=MISSED), uow)
    assert unanswered.value.code is ErrorCode.CONFLICT
    with pytest.raises(AppError) as not_theirs:
        await tracker.answer_commitment(
            proposed.id, CommitmentAnswer(accept=True, organization_id="org_a"), uow
        )
    assert not_theirs.value.code is ErrorCode.FORBIDDEN
    # Nothing proposed counts: no health, no reliability.
    assert (await tracker.reliability(["org_b"], uow)) == {}

    accepted = await tracker.answer_commitment(
        proposed.id, CommitmentAnswer(accept=True, organization_id="org_b"), uow
    )
    assert accepted.status == "open"
    with pytest.raises(AppError) as twice:
        await tracker.answer_commitment(
            proposed.id, CommitmentAnswer(accept=False, organization_id="org_b"), uow
        )
    assert twice.value.code is ErrorCode.CONFLICT
    await tracker.update_commitment(proposed.id, CommitmentUpdate(status=MISSED), uow)
    assert (await tracker.reliability(["org_b"], uow))["org_b"].closed_commitments == 1

    declined = await tracker.make_commitment(pid, asked("Van"), uow, "org_a")
    answer = CommitmentAnswer(accept=False, organization_id="org_b", note="No van")
    assert (await tracker.answer_commitment(declined.id, answer, uow)).status == "declined"
    stored = uow.tables["partnerships"][pid]
    record = await tracker.record_of(stored, uow, NOW)
    assert [c.status for c in record.commitments] == ["missed"]
    types = uow.types
    assert types.count("commitment.accepted") == 1 and types.count("commitment.declined") == 1
