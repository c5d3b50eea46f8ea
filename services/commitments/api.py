"""Commitments' internal HTTP routes, called by the gateway: thin over the use cases
(services/commitments/service/) and the store (reads). Bodies wrap the input as
`{"input": ...}` so validation errors name `input.<field>`, as the GraphQL contract does."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Generic, Literal, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict

from services.commitments.domain import models as m
from services.commitments.domain.report import report_csv
from services.commitments.service import Scheduler, Tracker
from services.commitments.store import CHILDREN
from shared import contracts as c
from shared import idempotency
from shared.contracts.page import Batch, Page
from shared.contracts.text import TextInput
from shared.errors import not_found
from shared.http import batch_ids
from shared.mongo import Document

router = APIRouter()
T = TypeVar("T", bound=BaseModel)
Ids = Annotated[str, Query(min_length=1, max_length=10_000)]
COLLECTION_OF_PATH = {name.replace("_", "-"): name for name in CHILDREN}


class Body(TextInput, Generic[T]):
    model_config = ConfigDict(extra="forbid")
    input: T


class FeedbackBody(Body[m.FeedbackInput]):
    member_id: str


class CommitmentBody(Body[m.CommitmentInput]):
    # The maker's organization (none for the operator): one made for another is proposed.
    by_organization_id: str | None = None


class FormBody(Body[m.PartnershipInput]):
    # What each organization offers, as the caller read it from intake: the roles suggested
    # at formation need not wait for this service's read model to catch up.
    offers: dict[str, list[str]] = {}


def get_tracker(request: Request) -> Tracker:
    tracker: Tracker = request.app.state.tracker
    return tracker


def view(doc: Document) -> dict[str, Any]:
    """A stored document as the gateway reads it: `id` instead of `_id`."""
    body = {k: v for k, v in doc.items() if k != "_id"}
    return {"id": doc["_id"], **body}


def partnership_view(doc: Document) -> c.PartnershipView:
    return c.PartnershipView.model_validate(view(doc))


class PartnershipWriteOnce(idempotency.WriteOnce):
    """Partnership writes answer their document as the gateway reads it."""

    def shape(self, result: Any) -> Any:
        return view(result)


# Before /commitments/{commitment_id}, which would otherwise take "by-partnership" for an id.
@router.get("/{kind}/by-partnership")
async def records_of(
    kind: Literal["commitments", "check-ins", "milestones", "contributions", "feedback"],
    ids: Ids,
    tracker: Tracker = Depends(get_tracker),
) -> dict[str, Any]:
    found = await tracker.store.children(COLLECTION_OF_PATH[kind], batch_ids(ids))
    return {"items": {pid: [view(d) for d in docs] for pid, docs in found.items()}}


@router.post("/partnerships", response_model=c.PartnershipView)
async def form(
    body: FormBody, tracker: Tracker = Depends(get_tracker), once: PartnershipWriteOnce = Depends()
) -> Any:
    return await once(body, lambda answered: tracker.form(body.input, body.offers, answered))


@router.get("/partnerships")
async def in_network(
    network_id: str,
    status: m.PartnershipStatus | None = None,
    after: str | None = None,
    first: Annotated[int, Query(ge=1, le=100)] = 20,
    tracker: Tracker = Depends(get_tracker),
) -> Page[c.PartnershipView]:
    found = await tracker.store.partnerships_in(
        network_id, status.value if status else None, after, first + 1
    )
    return Page.of([partnership_view(p) for p in found], first)


@router.get("/partnerships/by-ids")
async def by_ids(ids: Ids, tracker: Tracker = Depends(get_tracker)) -> Batch[c.PartnershipView]:
    found = await tracker.store.partnerships_by_ids(batch_ids(ids))
    return Batch(items={p["_id"]: partnership_view(p) for p in found})


@router.get("/partnerships/by-organization")
async def by_organization(
    ids: Ids, tracker: Tracker = Depends(get_tracker)
) -> Batch[list[c.PartnershipView]]:
    found = await tracker.store.partnerships_of(batch_ids(ids))
    views = {org: [partnership_view(p) for p in docs] for org, docs in found.items()}
    return Batch(items=views)


@router.get("/partnerships/{partnership_id}", response_model=c.PartnershipView)
async def one(partnership_id: str, tracker: Tracker = Depends(get_tracker)) -> Any:
    return view(await tracker.existing(partnership_id))


@router.patch("/partnerships/{partnership_id}", response_model=c.PartnershipView)
async def update(
    partnership_id: str,
    body: Body[m.PartnershipChanges],
    tracker: Tracker = Depends(get_tracker),
    once: PartnershipWriteOnce = Depends(),
) -> Any:
    return await once(body, lambda a: tracker.update(partnership_id, body.input, a))


@router.put("/partnerships/{partnership_id}/roles", response_model=c.PartnershipView)
async def assign_roles(
    partnership_id: str,
    body: Body[m.RolesInput],
    tracker: Tracker = Depends(get_tracker),
    once: PartnershipWriteOnce = Depends(),
) -> Any:
    return await once(body, lambda a: tracker.assign_roles(partnership_id, body.input, a))


@router.post("/partnerships/{partnership_id}/status", response_model=c.PartnershipView)
async def set_status(
    partnership_id: str,
    body: Body[m.StatusInput],
    tracker: Tracker = Depends(get_tracker),
    once: PartnershipWriteOnce = Depends(),
) -> Any:
    return await once(body, lambda a: tracker.set_status(partnership_id, body.input, a))


@router.post("/partnerships/{partnership_id}/commitments", response_model=c.CommitmentView)
async def make_commitment(
    partnership_id: str,
    body: CommitmentBody,
    tracker: Tracker = Depends(get_tracker),
    once: PartnershipWriteOnce = Depends(),
) -> Any:
    return await once(
        body,
        lambda a: tracker.make_commitment(partnership_id, body.input, a, body.by_organization_id),
    )


@router.get("/commitments/{commitment_id}", response_model=c.CommitmentView)
async def commitment(commitment_id: str, tracker: Tracker = Depends(get_tracker)) -> Any:
    found = await tracker.store.commitment(commitment_id)
    if found is None:
        raise not_found("commitment", commitment_id)
    return view(found)


@router.post("/commitments/{commitment_id}/status", response_model=c.CommitmentView)
async def update_commitment(
    commitment_id: str,
    body: m.CommitmentUpdate,
    tracker: Tracker = Depends(get_tracker),
    once: PartnershipWriteOnce = Depends(),
) -> Any:
    return await once(body, lambda a: tracker.update_commitment(commitment_id, body, a))


@router.post("/commitments/{commitment_id}/answer", response_model=c.CommitmentView)
async def answer_commitment(
    commitment_id: str,
    body: m.CommitmentAnswer,
    tracker: Tracker = Depends(get_tracker),
    once: PartnershipWriteOnce = Depends(),
) -> Any:
    return await once(body, lambda a: tracker.answer_commitment(commitment_id, body, a))


@router.get("/partnerships/{partnership_id}/health-history")
async def health_history(
    partnership_id: str,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    tracker: Tracker = Depends(get_tracker),
) -> list[c.HealthPoint]:
    await tracker.existing(partnership_id)
    points = await tracker.health_history(partnership_id, since, until)
    return [c.HealthPoint.model_validate(d) for d in points]


@router.get("/health-trends")
async def health_trends(ids: Ids, tracker: Tracker = Depends(get_tracker)) -> Batch[c.HealthTrend]:
    found = await tracker.store.partnerships_by_ids(batch_ids(ids))
    return Batch[c.HealthTrend](items=await tracker.trends(found))


@router.get("/health-warnings")
async def health_warnings(
    ids: Ids, tracker: Tracker = Depends(get_tracker)
) -> Batch[list[c.HealthWarningView]]:
    found = await tracker.store.health_warnings(batch_ids(ids))
    views = {
        pid: [c.HealthWarningView.model_validate(view(w)) for w in ws] for pid, ws in found.items()
    }
    return Batch(items=views)


@router.post("/partnerships/{partnership_id}/check-ins", response_model=c.CheckInView)
async def record_check_in(
    partnership_id: str,
    body: Body[m.CheckInInput],
    tracker: Tracker = Depends(get_tracker),
    once: PartnershipWriteOnce = Depends(),
) -> Any:
    return await once(body, lambda a: tracker.record_check_in(partnership_id, body.input, a))


@router.post("/partnerships/{partnership_id}/milestones", response_model=c.MilestoneView)
async def reach_milestone(
    partnership_id: str,
    body: Body[m.MilestoneInput],
    tracker: Tracker = Depends(get_tracker),
    once: PartnershipWriteOnce = Depends(),
) -> Any:
    return await once(body, lambda a: tracker.reach_milestone(partnership_id, body.input, a))


@router.post("/partnerships/{partnership_id}/contributions", response_model=c.ContributionView)
async def log_contribution(
    partnership_id: str,
    body: Body[m.ContributionInput],
    tracker: Tracker = Depends(get_tracker),
    once: PartnershipWriteOnce = Depends(),
) -> Any:
    return await once(body, lambda a: tracker.log_contribution(partnership_id, body.input, a))


@router.post("/partnerships/{partnership_id}/feedback", response_model=c.FeedbackView)
async def submit_feedback(
    partnership_id: str,
    body: FeedbackBody,
    tracker: Tracker = Depends(get_tracker),
    once: PartnershipWriteOnce = Depends(),
) -> Any:
    return await once(
        body, lambda a: tracker.submit_feedback(partnership_id, body.input, body.member_id, a)
    )


@router.get("/partnerships/{partnership_id}/meeting-times")
async def meeting_times(
    partnership_id: str,
    first: Annotated[int, Query(ge=1, le=20)] = 5,
    days: Annotated[int, Query(ge=1, le=60)] = 14,
    duration_minutes: Annotated[int, Query(ge=15, le=480)] = 60,
    tracker: Tracker = Depends(get_tracker),
) -> list[c.MeetingSlot]:
    duration = timedelta(minutes=duration_minutes)
    slots = await tracker.meeting_times(partnership_id, first, days, duration)
    return [c.MeetingSlot.model_validate(s) for s in slots]


@router.get("/partnerships/{partnership_id}/report", response_model=None)
async def report(
    partnership_id: str,
    format: Literal["json", "csv"] = "json",
    tracker: Tracker = Depends(get_tracker),
) -> dict[str, Any] | PlainTextResponse:
    built, names = await tracker.report(partnership_id)
    if format == "csv":
        return PlainTextResponse(report_csv(built, names), media_type="text/csv")
    return built


@router.get("/reliability/by-organization")
async def reliability(ids: Ids, tracker: Tracker = Depends(get_tracker)) -> Batch[c.Reliability]:
    found = await tracker.store.reliability_of(batch_ids(ids))
    return Batch(items={org: c.Reliability.model_validate(doc) for org, doc in found.items()})


@router.post("/scheduler/tick")
async def tick(request: Request) -> dict[str, int]:
    """Runs the scheduler now, on the service clock (tests and operators; it also runs on
    its own every `scheduler_interval_seconds`)."""
    scheduler: Scheduler = request.app.state.scheduler
    return {"sent": await scheduler.tick()}
