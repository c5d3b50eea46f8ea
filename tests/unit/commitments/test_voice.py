"""The updates log and the community's voice, against the fake unit of work (milliseconds): a
partner posts progress, a setback or a win and the partners hear of it; a win becomes a
milestone once; a resident's answer counts in health's feedback part as the community source
(partners 0.6, community 0.4); a need's answer reaches the partnerships that take it up, or the
coordinator while none does; bad input writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from services.commitments.domain import health as scoring
from services.commitments.domain.models import (
    CommunityResponseInput,
    FeedbackInput,
    MilestoneInput,
    PartnershipChanges,
    PartnershipInput,
    StatusInput,
    UpdateInput,
)
from services.commitments.service import Tracker
from shared.clock import Clock
from shared.contracts import PartnershipStatus, UpdateKind
from shared.errors import AppError, ErrorCode
from shared.settings import Settings
from tests.support.fake_commitments import FakeCommitmentsUnitOfWork

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def tracker() -> Tracker:
    clock = Clock()
    clock.set(NOW)
    return Tracker(clock, Settings(_env_file=None))


@pytest.fixture
def uow() -> FakeCommitmentsUnitOfWork:
    return FakeCommitmentsUnitOfWork()


async def formed(tracker: Tracker, uow: FakeCommitmentsUnitOfWork, need: str | None = None) -> str:
    data = PartnershipInput(
        network_id="net_1", name="Oak & Elm", organization_ids=["org_a", "org_b"], need_id=need
    )
    return (await tracker.form(data, {}, uow)).id


def win(text: str = "40 families came to the first workshop") -> UpdateInput:
    return UpdateInput(kind=UpdateKind.WIN, text=text, organization_id="org_a")


async def test_a_partner_posts_an_update_and_it_is_announced_and_listed(
    tracker: Tracker, uow: FakeCommitmentsUnitOfWork
) -> None:
    pid = await formed(tracker, uow)
    setback = UpdateInput(
        kind=UpdateKind.SETBACK, text="The hall is booked", organization_id="org_b"
    )
    posted = await tracker.post_update(pid, setback, "mem_b", uow)
    assert (posted.kind, posted.text, posted.member_id) == (
        UpdateKind.SETBACK,
        "The hall is booked",
        "mem_b",
    )
    assert posted.posted_at == NOW and posted.milestone_id is None
    event = uow.events[-1]
    assert (event.type, event.subject) == ("partnership.update_posted", pid)
    assert event.data["kind"] == "setback" and event.data["organization_id"] == "org_b"
    listed = await tracker.records_of("updates", [pid], uow)
    assert [u["id"] for u in listed[pid]] == [posted.id]


async def test_an_update_from_outside_the_partnership_or_empty_writes_nothing(
    tracker: Tracker, uow: FakeCommitmentsUnitOfWork
) -> None:
    pid = await formed(tracker, uow)
    before = len(uow.events)
    stranger = UpdateInput(kind=UpdateKind.PROGRESS, text="hello", organization_id="org_z")
    with pytest.raises(AppError) as refused:
        await tracker.post_update(pid, stranger, "mem_z", uow)
    assert (refused.value.code, refused.value.field) == (
        ErrorCode.BAD_USER_INPUT,
        "input.organization_id",
    )
    with pytest.raises(ValidationError) as empty:
        UpdateInput(kind=UpdateKind.PROGRESS, text="   ")
    assert empty.value.errors()[0]["loc"] == ("text",)
    assert len(uow.events) == before and not uow.tables["updates"]


async def test_a_win_becomes_a_milestone_once_and_only_a_win(
    tracker: Tracker, uow: FakeCommitmentsUnitOfWork
) -> None:
    pid = await formed(tracker, uow)
    the_win = await tracker.post_update(pid, win(), "mem_a", uow)
    milestone = await tracker.reach_milestone(
        pid, MilestoneInput(title=the_win.text, update_id=the_win.id), uow
    )
    assert milestone.update_id == the_win.id
    assert uow.tables["updates"][the_win.id]["milestone_id"] == milestone.id
    assert uow.events[-1].type == "milestone.reached"
    assert uow.events[-1].data["update_id"] == the_win.id
    with pytest.raises(AppError) as again:
        await tracker.reach_milestone(pid, MilestoneInput(title="x", update_id=the_win.id), uow)
    assert again.value.code is ErrorCode.CONFLICT
    progress = await tracker.post_update(
        pid, UpdateInput(kind=UpdateKind.PROGRESS, text="Flyers printed"), "mem_a", uow
    )
    with pytest.raises(AppError) as not_a_win:
        await tracker.reach_milestone(pid, MilestoneInput(title="x", update_id=progress.id), uow)
    assert (not_a_win.value.code, not_a_win.value.field) == (
        ErrorCode.BAD_USER_INPUT,
        "input.update_id",
    )
    other = await formed(tracker, uow)
    with pytest.raises(AppError) as elsewhere:
        await tracker.reach_milestone(other, MilestoneInput(title="x", update_id=progress.id), uow)
    assert elsewhere.value.code is ErrorCode.NOT_FOUND
    assert len(uow.tables["milestones"]) == 1


async def test_a_residents_answer_counts_as_the_community_source_of_feedback(
    tracker: Tracker, uow: FakeCommitmentsUnitOfWork
) -> None:
    pid = await formed(tracker, uow)
    await tracker.submit_feedback(pid, FeedbackInput(rating=5), "mem_a", uow)
    answer = CommunityResponseInput(rating=2, story="The bus times don't work", contact="555-0101")
    receipt = await tracker.respond_to_partnership(pid, answer, uow)
    [response_id] = receipt.response_ids
    event = (
        uow.events[-2] if uow.events[-1].type == "partnership.health_changed" else uow.events[-1]
    )
    assert event.type == "community.response_received"
    assert event.data["has_contact"] is True and "contact" not in event.data
    assert uow.tables["community_responses"][response_id]["contact"] == "555-0101"
    p = await tracker.partnership(pid, uow)
    [part] = [x for x in p.health.parts if x.name == "feedback"]
    sources = {s.name: (s.score, s.weight, s.count) for s in part.sources}
    assert sources == {"partners": (1.0, 0.6, 1), "community": (0.25, 0.4, 1)}
    assert part.score == pytest.approx(0.6 * 1.0 + 0.4 * 0.25)
    assert "community average 2.0/5 from 1 response" in part.detail


async def test_a_closed_partnership_takes_no_answers(
    tracker: Tracker, uow: FakeCommitmentsUnitOfWork
) -> None:
    pid = await formed(tracker, uow)
    await tracker.set_status(pid, StatusInput(status=PartnershipStatus.CLOSED), uow)
    with pytest.raises(AppError) as closed:
        await tracker.respond_to_partnership(pid, CommunityResponseInput(rating=4), uow)
    assert closed.value.code is ErrorCode.CONFLICT
    assert not uow.tables["community_responses"]


async def test_a_needs_answer_reaches_its_partnerships_or_the_coordinator(
    tracker: Tracker, uow: FakeCommitmentsUnitOfWork
) -> None:
    alone = await tracker.respond_to_need("need_1", "net_1", CommunityResponseInput(rating=3), uow)
    [kept] = [uow.tables["community_responses"][i] for i in alone.response_ids]
    assert kept["partnership_id"] is None and kept["need_id"] == "need_1"
    assert uow.events[-1].data["partnership"] is None
    pid = await formed(tracker, uow)
    await tracker.update(pid, PartnershipChanges(need_id="need_1"), uow)
    taken = await tracker.respond_to_need("need_1", "net_1", CommunityResponseInput(rating=5), uow)
    [kept] = [uow.tables["community_responses"][i] for i in taken.response_ids]
    assert kept["partnership_id"] == pid
    p = await tracker.partnership(pid, uow)
    assert [s.name for s in p.health.parts[0].sources] == ["community"]
    other_network = await tracker.respond_to_need(
        "need_1", "net_2", CommunityResponseInput(rating=1), uow
    )
    [kept] = [uow.tables["community_responses"][i] for i in other_network.response_ids]
    assert kept["partnership_id"] is None


def test_feedback_blends_partners_and_community_and_either_alone_takes_the_part() -> None:
    at = NOW
    partners = [scoring.Rating(at, 4)]
    community = [scoring.Rating(at, 1), scoring.Rating(at, 3)]
    only_partners = scoring.feedback(partners)
    assert only_partners is not None
    assert only_partners[0] == 0.75 and only_partners[1] == "average 4.0/5 from 1 ratings, steady"
    only_community = scoring.feedback([], community)
    assert only_community is not None and only_community[0] == 0.25
    both = scoring.feedback(partners, community)
    assert both is not None and both[0] == pytest.approx(0.6 * 0.75 + 0.4 * 0.25)
    assert scoring.feedback([], []) is None
