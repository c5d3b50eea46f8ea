"""Commitments' use cases against a real document store, without the stack: forming a
partnership, the first real work making it active, closing a commitment moving health
and reliability in the same transaction, health kept over time with its early warnings, and
a commitment made for another organization counting only once that organization accepts it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pymongo import AsyncMongoClient

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
from services.commitments.store import INDEXES, CommitmentStore
from shared.clock import Clock
from shared.contracts import MatchAccepted, MatchParty, OrganizationProfile
from shared.errors import AppError, ErrorCode
from shared.mongo import Database, Document, ensure_indexes
from shared.outbox import Outbox
from shared.settings import Settings
from tests.support.documents import outbox_events

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DONE, MISSED = CommitmentStatus.DONE, CommitmentStatus.MISSED
DAY = timedelta(days=1)


@pytest.fixture
async def tracker(mongo: AsyncMongoClient[Document], database: Database) -> Tracker:
    await ensure_indexes(database, INDEXES)
    clock = Clock()
    clock.set(NOW)
    outbox = Outbox(mongo, database, source="commonweave/commitments")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    return Tracker(CommitmentStore(database), outbox, clock, settings)


def partnership(*organization_ids: str) -> PartnershipInput:
    ids = list(organization_ids) or ["org_a", "org_b"]
    return PartnershipInput(network_id="net_1", name="Lane Health", organization_ids=ids)


async def test_a_partnership_forms_with_roles_from_what_each_partner_offers(
    tracker: Tracker, database: Database
) -> None:
    formed = await tracker.form(partnership(), {"org_a": ["outreach"], "org_b": ["funding"]})
    assert formed["status"] == PartnershipStatus.FORMING.value
    assert [r["title"] for r in formed["roles"]] == ["Outreach lead", "Funding lead"]
    assert formed["next_check_in_at"] == NOW + timedelta(days=14)
    [event] = await outbox_events(database)
    assert (event.type, event.subject) == ("partnership.formed", formed["_id"])
    stored = await tracker.store.partnership(formed["_id"])
    assert stored is not None and stored["name"] == "Lane Health"


async def test_an_archived_or_foreign_organization_cannot_join(
    tracker: Tracker, database: Database
) -> None:
    async with tracker.outbox.transaction() as tx:
        for org, network, archived in [("org_b", "net_1", True), ("org_c", "net_2", False)]:
            profile = OrganizationProfile(
                organization_id=org, network_id=network, version=1, name=org, archived=archived
            )
            await tracker.store.save_profile(profile, tx.session)
    for ids, field in [(("org_a", "org_b"), 1), (("org_c", "org_a"), 0)]:
        with pytest.raises(AppError) as refused:
            await tracker.form(partnership(*ids), {})
        assert refused.value.code is ErrorCode.BAD_USER_INPUT
        assert refused.value.field == f"input.organization_ids[{field}]"
    assert await outbox_events(database) == []


async def test_an_accepted_match_forms_one_partnership_however_often_it_arrives(
    tracker: Tracker, database: Database
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
        async with tracker.outbox.transaction() as tx:
            await tracker.form_from_match(accepted, tx)
    found = await tracker.store.partnership(partnership_id_for_match("mat_1"))
    assert found is not None and found["name"] == "Neighbors United & Lane Foundation"
    assert found["goals"] == ["Both work on community health"] and found["match_id"] == "mat_1"
    assert [e.type for e in await outbox_events(database)] == ["partnership.formed"]


async def test_partners_name_a_matched_partnership_and_set_its_goals_cadence_and_need(
    tracker: Tracker, database: Database
) -> None:
    accepted = MatchAccepted(
        match_id="mat_2",
        network_id="net_1",
        parties=[MatchParty(organization_id=o, name=o) for o in ("org_a", "org_b")],
        score=0.8,
        reasons=["Both work on recycling"],
    )
    async with tracker.outbox.transaction() as tx:
        await tracker.form_from_match(accepted, tx)
    pid = partnership_id_for_match("mat_2")
    held = NOW + 10 * DAY
    tracker.clock.set(held)
    await tracker.record_check_in(pid, CheckInInput(held_at=held))
    tracker.clock.set(NOW + 34 * DAY)  # biweekly, 1 of 2 periods would have a check-in
    changes = PartnershipChanges(
        name="Westside School Recycling",
        goals=["Bins in every classroom"],
        check_in_cadence=CheckInCadence.MONTHLY,
        need_id="need_1",
    )
    updated = await tracker.update(pid, changes)
    assert (updated["name"], updated["goals"], updated["need_id"]) == (
        "Westside School Recycling",
        ["Bins in every classroom"],
        "need_1",
    )
    assert updated["check_in_cadence"] == "monthly"
    assert updated["next_check_in_at"] == held + 30 * DAY  # from the last check-in
    assert updated["status"] == PartnershipStatus.ACTIVE.value  # unchanged: no work done
    # re-scored monthly: the one period so far had its check-in
    [regularity] = updated["health"]["parts"]
    assert (regularity["score"], regularity["detail"]) == (1.0, "1 of 1 check-ins held")
    # a field left out stays as it was
    renamed = await tracker.update(pid, PartnershipChanges(name="WSR"))
    assert renamed["goals"] == ["Bins in every classroom"] and renamed["need_id"] == "need_1"
    types = [e.type for e in await outbox_events(database)]
    assert types.count("partnership.updated") == 2


async def test_a_commitment_activates_the_partnership_and_closing_it_moves_reliability(
    tracker: Tracker, database: Database
) -> None:
    formed = await tracker.form(partnership(), {})
    with pytest.raises(AppError) as past:
        due = NOW - timedelta(days=1)
        await tracker.make_commitment(
            formed["_id"], CommitmentInput(owner_organization_id="org_a", title="x", due_at=due)
        )
    assert past.value.code is ErrorCode.BAD_USER_INPUT
    made = await tracker.make_commitment(
        formed["_id"],
        CommitmentInput(owner_organization_id="org_a", title="Flyers", due_at=NOW + timedelta(7)),
    )
    active = await tracker.store.partnership(formed["_id"])
    assert active is not None and active["status"] == PartnershipStatus.ACTIVE.value

    done = await tracker.update_commitment(made["_id"], CommitmentUpdate(status=DONE))
    assert done["status"] == CommitmentStatus.DONE.value and done["closed_at"] == NOW
    types = [e.type for e in await outbox_events(database)]
    assert types[:3] == ["partnership.formed", "commitment.made", "commitment.fulfilled"]
    assert "organization.reliability_changed" in types
    with pytest.raises(AppError) as again:
        await tracker.update_commitment(made["_id"], CommitmentUpdate(status=MISSED))
    assert again.value.code is ErrorCode.CONFLICT


def weekly() -> PartnershipInput:
    return PartnershipInput(
        network_id="net_1",
        name="Lane Health",
        organization_ids=["org_a", "org_b"],
        check_in_cadence=CheckInCadence.WEEKLY,
    )


async def test_health_is_kept_as_points_and_two_falls_in_a_row_warn_once(
    tracker: Tracker, database: Database
) -> None:
    formed = await tracker.form(weekly(), {})
    pid = formed["_id"]
    held = CheckInInput(held_at=NOW + timedelta(days=1))
    tracker.clock.set(NOW + timedelta(days=1))
    await tracker.record_check_in(pid, held)
    made = await tracker.make_commitment(
        pid, CommitmentInput(owner_organization_id="org_a", title="Flyers", due_at=NOW + DAY * 3)
    )
    tracker.clock.set(NOW + timedelta(days=2))
    await tracker.update_commitment(made["_id"], CommitmentUpdate(status=DONE))
    scheduler = Scheduler(tracker)
    # No check-in after the first: regularity 1/1, then 1/2, then 1/3.
    for days in (8, 15, 22, 22.5):
        await scheduler.tick(NOW + timedelta(days=days))

    points = await tracker.health_history(pid, None, None)
    assert [(p["at"] - NOW, p["score"]) for p in points] == [
        (timedelta(0), 0.5),
        (DAY * 2, 1.0),
        (DAY * 8, 1.0),
        (DAY * 15, pytest.approx(0.7917, abs=1e-4)),
        (DAY * 22, pytest.approx(0.7222, abs=1e-4)),
    ]
    window = await tracker.health_history(pid, NOW + DAY * 8, NOW + DAY * 15)
    assert [p["at"] - NOW for p in window] == [DAY * 8, DAY * 15]
    tracker.clock.set(NOW + DAY * 23)
    stored = await tracker.store.partnership(pid)
    assert stored is not None
    assert await tracker.trends([stored]) == {pid: "declining"}

    warnings = [e for e in await outbox_events(database) if e.type == "partnership.health_warning"]
    [warning] = warnings
    assert warning.subject == pid
    assert warning.data["reason"] == "declining"
    assert warning.data["part"]["name"] == "check_in_regularity"
    assert warning.data["part"]["detail"] == "1 of 3 check-ins held"
    assert "Check-in regularity fell from 1.00 to 0.33" in warning.data["summary"]
    kept = (await tracker.store.health_warnings([pid]))[pid]
    assert [(w["at"], w["reason"], w["summary"]) for w in kept] == [
        (NOW + DAY * 22, "declining", warning.data["summary"])
    ]


async def test_a_commitment_for_another_organization_counts_only_once_it_accepts(
    tracker: Tracker, database: Database
) -> None:
    formed = await tracker.form(partnership(), {})
    pid = formed["_id"]

    def asked(title: str) -> CommitmentInput:
        return CommitmentInput(owner_organization_id="org_b", title=title, due_at=NOW + DAY * 7)

    proposed = await tracker.make_commitment(pid, asked("Hall"), by_organization_id="org_a")
    own = await tracker.make_commitment(
        pid,
        CommitmentInput(owner_organization_id="org_a", title="Flyers", due_at=NOW + DAY * 7),
        by_organization_id="org_a",
    )
    assert (proposed["status"], own["status"]) == ("proposed", "open")
    with pytest.raises(AppError) as unanswered:
        await tracker.update_commitment(proposed["_id"], CommitmentUpdate(status=MISSED))
    assert unanswered.value.code is ErrorCode.CONFLICT
    with pytest.raises(AppError) as not_theirs:
        await tracker.answer_commitment(
            proposed["_id"], CommitmentAnswer(accept=True, organization_id="org_a")
        )
    assert not_theirs.value.code is ErrorCode.FORBIDDEN
    # Nothing proposed counts: no health, no reliability.
    assert (await tracker.store.reliability_of(["org_b"])) == {}

    accepted = await tracker.answer_commitment(
        proposed["_id"], CommitmentAnswer(accept=True, organization_id="org_b")
    )
    assert accepted["status"] == "open"
    with pytest.raises(AppError) as twice:
        await tracker.answer_commitment(
            proposed["_id"], CommitmentAnswer(accept=False, organization_id="org_b")
        )
    assert twice.value.code is ErrorCode.CONFLICT
    await tracker.update_commitment(proposed["_id"], CommitmentUpdate(status=MISSED))
    assert (await tracker.store.reliability_of(["org_b"]))["org_b"]["closed_commitments"] == 1

    declined = await tracker.make_commitment(pid, asked("Van"), by_organization_id="org_a")
    answer = CommitmentAnswer(accept=False, organization_id="org_b", note="No van")
    assert (await tracker.answer_commitment(declined["_id"], answer))["status"] == "declined"
    async with tracker.outbox.transaction() as tx:
        stored = await tracker.store.partnership(pid, tx.session)
        assert stored is not None
        record = await tracker.record_of(stored, tx, NOW)
    assert [c.status for c in record.commitments] == ["missed"]
    types = [e.type for e in await outbox_events(database)]
    assert types.count("commitment.accepted") == 1 and types.count("commitment.declined") == 1
