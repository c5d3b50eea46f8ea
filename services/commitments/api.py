"""Commitments' internal HTTP routes, called by the gateway: thin over the use cases
(services/commitments/service/), each given the request's unit of work. The request models
are the contract's (`shared.contracts.requests.commitments`), the answers too
(`shared.contracts.commitments`); `shared.clients.CommitmentsClient` calls these routes."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import AwareDatetime

from services.commitments.domain.report import report_csv
from services.commitments.service import Scheduler, Tracker
from services.commitments.service.unit_of_work import CHILDREN
from services.commitments.store import MongoCommitmentsUnitOfWork
from shared import contracts as c
from shared.contracts.page import Batch, Page
from shared.contracts.requests import commitments as rq
from shared.http import batch_ids
from shared.idempotency import WriteOnce

router = APIRouter()
Ids = Annotated[str, Query(min_length=1, max_length=10_000)]
COLLECTION_OF_PATH = {name.replace("_", "-"): name for name in CHILDREN}


def get_tracker(request: Request) -> Tracker:
    tracker: Tracker = request.app.state.tracker
    return tracker


def get_uow(request: Request) -> MongoCommitmentsUnitOfWork:
    uow: MongoCommitmentsUnitOfWork = request.app.state.unit_of_work()
    return uow


Uow = Annotated[MongoCommitmentsUnitOfWork, Depends(get_uow)]
Use = Annotated[Tracker, Depends(get_tracker)]


# Before /commitments/{commitment_id}, which would otherwise take "by-partnership" for an id.
@router.get("/{kind}/by-partnership")
async def records_of(
    kind: Literal[
        "commitments",
        "check-ins",
        "milestones",
        "contributions",
        "feedback",
        "updates",
        "community-responses",
    ],
    ids: Ids,
    tracker: Use,
    uow: Uow,
) -> dict[str, Any]:
    found = await tracker.records_of(COLLECTION_OF_PATH[kind], batch_ids(ids), uow)
    return {"items": found}


@router.post("/partnerships", response_model=c.PartnershipView)
async def form(
    body: rq.FormPartnership, tracker: Use, uow: Uow, once: WriteOnce = Depends()
) -> Any:
    return await once.run(body, uow, lambda: tracker.form(body.input, body.offers, uow))


@router.get("/partnerships")
async def in_network(
    network_id: str,
    tracker: Use,
    uow: Uow,
    status: c.PartnershipStatus | None = None,
    after: str | None = None,
    first: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[c.PartnershipView]:
    wanted = status.value if status else None
    return await tracker.partnerships_in(network_id, wanted, after, first, uow)


@router.get("/partnerships/by-ids")
async def by_ids(ids: Ids, tracker: Use, uow: Uow) -> Batch[c.PartnershipView]:
    return Batch(items=await tracker.partnerships_by_ids(batch_ids(ids), uow))


@router.get("/partnerships/by-organization")
async def by_organization(ids: Ids, tracker: Use, uow: Uow) -> Batch[list[c.PartnershipView]]:
    return Batch(items=await tracker.partnerships_of(batch_ids(ids), uow))


@router.get("/partnerships/{partnership_id}", response_model=c.PartnershipView)
async def one(partnership_id: str, tracker: Use, uow: Uow) -> c.PartnershipView:
    return await tracker.partnership(partnership_id, uow)


@router.patch("/partnerships/{partnership_id}", response_model=c.PartnershipView)
async def update(
    partnership_id: str,
    body: rq.UpdatePartnership,
    tracker: Use,
    uow: Uow,
    once: WriteOnce = Depends(),
) -> Any:
    return await once.run(body, uow, lambda: tracker.update(partnership_id, body.input, uow))


@router.put("/partnerships/{partnership_id}/roles", response_model=c.PartnershipView)
async def assign_roles(
    partnership_id: str,
    body: rq.AssignRole,
    tracker: Use,
    uow: Uow,
    once: WriteOnce = Depends(),
) -> Any:
    return await once.run(body, uow, lambda: tracker.assign_roles(partnership_id, body.input, uow))


@router.post("/partnerships/{partnership_id}/status", response_model=c.PartnershipView)
async def set_status(
    partnership_id: str,
    body: rq.SetPartnershipStatus,
    tracker: Use,
    uow: Uow,
    once: WriteOnce = Depends(),
) -> Any:
    return await once.run(body, uow, lambda: tracker.set_status(partnership_id, body.input, uow))


@router.post("/partnerships/{partnership_id}/commitments", response_model=c.CommitmentView)
async def make_commitment(
    partnership_id: str,
    body: rq.MakeCommitment,
    tracker: Use,
    uow: Uow,
    once: WriteOnce = Depends(),
) -> Any:
    return await once.run(
        body,
        uow,
        lambda: tracker.make_commitment(partnership_id, body.input, uow, body.by_organization_id),
    )


@router.get("/commitments/{commitment_id}", response_model=c.CommitmentView)
async def commitment(commitment_id: str, tracker: Use, uow: Uow) -> c.CommitmentView:
    return await tracker.commitment(commitment_id, uow)


@router.post("/commitments/{commitment_id}/status", response_model=c.CommitmentView)
async def update_commitment(
    commitment_id: str,
    body: rq.CommitmentUpdate,
    tracker: Use,
    uow: Uow,
    once: WriteOnce = Depends(),
) -> Any:
    return await once.run(body, uow, lambda: tracker.update_commitment(commitment_id, body, uow))


@router.post("/commitments/{commitment_id}/answer", response_model=c.CommitmentView)
async def answer_commitment(
    commitment_id: str,
    body: rq.CommitmentAnswer,
    tracker: Use,
    uow: Uow,
    once: WriteOnce = Depends(),
) -> Any:
    return await once.run(body, uow, lambda: tracker.answer_commitment(commitment_id, body, uow))


@router.get("/partnerships/{partnership_id}/health-history")
async def health_history(
    partnership_id: str,
    tracker: Use,
    uow: Uow,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
) -> list[c.HealthPoint]:
    await tracker.existing(partnership_id, uow)
    points = await tracker.health_history(partnership_id, since, until, uow)
    return [c.HealthPoint.model_validate(d) for d in points]


@router.get("/health-trends")
async def health_trends(ids: Ids, tracker: Use, uow: Uow) -> Batch[c.HealthTrend]:
    return Batch[c.HealthTrend](items=await tracker.health_trends(batch_ids(ids), uow))


@router.get("/health-warnings")
async def health_warnings(ids: Ids, tracker: Use, uow: Uow) -> Batch[list[c.HealthWarningView]]:
    return Batch(items=await tracker.health_warnings(batch_ids(ids), uow))


@router.post("/partnerships/{partnership_id}/check-ins", response_model=c.CheckInView)
async def record_check_in(
    partnership_id: str,
    body: rq.RecordCheckIn,
    tracker: Use,
    uow: Uow,
    once: WriteOnce = Depends(),
) -> Any:
    return await once.run(
        body, uow, lambda: tracker.record_check_in(partnership_id, body.input, uow)
    )


@router.post("/partnerships/{partnership_id}/milestones", response_model=c.MilestoneView)
async def reach_milestone(
    partnership_id: str,
    body: rq.ReachMilestone,
    tracker: Use,
    uow: Uow,
    once: WriteOnce = Depends(),
) -> Any:
    return await once.run(
        body, uow, lambda: tracker.reach_milestone(partnership_id, body.input, uow)
    )


@router.post("/partnerships/{partnership_id}/contributions", response_model=c.ContributionView)
async def log_contribution(
    partnership_id: str,
    body: rq.LogContribution,
    tracker: Use,
    uow: Uow,
    once: WriteOnce = Depends(),
) -> Any:
    return await once.run(
        body, uow, lambda: tracker.log_contribution(partnership_id, body.input, uow)
    )


@router.post("/partnerships/{partnership_id}/feedback", response_model=c.FeedbackView)
async def submit_feedback(
    partnership_id: str,
    body: rq.SubmitFeedback,
    tracker: Use,
    uow: Uow,
    once: WriteOnce = Depends(),
) -> Any:
    return await once.run(
        body,
        uow,
        lambda: tracker.submit_feedback(partnership_id, body.input, body.member_id, uow),
    )


@router.get("/partnerships/{partnership_id}/meeting-times")
async def meeting_times(
    partnership_id: str,
    tracker: Use,
    uow: Uow,
    first: Annotated[int, Query(ge=1, le=20)] = 5,
    days: Annotated[int, Query(ge=1, le=60)] = 14,
    duration_minutes: Annotated[int, Query(ge=15, le=480)] = 60,
) -> list[c.MeetingSlot]:
    duration = timedelta(minutes=duration_minutes)
    slots = await tracker.meeting_times(partnership_id, first, days, duration, uow)
    return [c.MeetingSlot.model_validate(s) for s in slots]


@router.get("/partnerships/{partnership_id}/report", response_model=None)
async def report(
    partnership_id: str, tracker: Use, uow: Uow, format: Literal["json", "csv"] = "json"
) -> dict[str, Any] | PlainTextResponse:
    built, names = await tracker.report(partnership_id, uow)
    if format == "csv":
        return PlainTextResponse(report_csv(built, names), media_type="text/csv")
    return built


@router.get("/reliability/by-organization")
async def reliability(ids: Ids, tracker: Use, uow: Uow) -> Batch[c.Reliability]:
    return Batch(items=await tracker.reliability(batch_ids(ids), uow))


@router.post("/scheduler/tick")
async def tick(request: Request) -> c.SchedulerTicked:
    """Runs the scheduler now, on the service clock (tests and operators; it also runs on
    its own every `scheduler_interval_seconds`)."""
    scheduler: Scheduler = request.app.state.scheduler
    return c.SchedulerTicked(sent=await scheduler.tick())
