"""GraphQL types of the commitments service: partnerships and what happens in them. A
partnership's records are fields loaded through per-request DataLoaders, so a list of
partnerships with their commitments costs one call per kind of record, not one per parent."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, cast

import strawberry
from strawberry.scalars import JSON

from services.gateway.auth import network_seen
from services.gateway.context import Caller
from services.gateway.schema.context import Info
from services.gateway.schema.enums import (
    CheckInCadence,
    CommitmentStatus,
    ContributionKind,
    PartnershipStatus,
)
from services.gateway.schema.health import HealthOverTime
from services.gateway.schema.mapping import build, build_all
from services.gateway.schema.relay import Connection, page_by_id
from services.gateway.schema.voice_types import CommunityResponse, HealthSource, PartnershipUpdate
from shared import contracts as c
from shared.contracts.base import Payload
from shared.contracts.commitments import REPORT_CSV_COLUMNS, contribution_totals

if TYPE_CHECKING:
    from services.gateway.schema.intake import Organization

Doc = dict[str, Any]
# Organization's module uses these types, so this side refers to it lazily.
LazyOrganization = Annotated["Organization", strawberry.lazy("services.gateway.schema.intake")]


@strawberry.type
class PartnershipRole:
    organization_id: strawberry.ID
    title: str
    responsibilities: list[str]
    suggested: bool = strawberry.field(
        description="True until a partner sets it: proposed from what the partner offers."
    )


@strawberry.type
class HealthPart:
    name: str
    score: float
    weight: float
    detail: str
    sources: list[HealthSource] = strawberry.field(
        default_factory=list,
        description="What the part blends: the feedback part's `partners` and `community`.",
    )


@strawberry.type
class PartnershipHealth:
    score: float
    label: str = strawberry.field(description="new, thriving, steady or at risk")
    parts: list[HealthPart]


@strawberry.type
class Commitment:
    id: strawberry.ID
    partnership_id: strawberry.ID
    owner_organization_id: strawberry.ID
    title: str
    kind: str
    quantity: float | None
    unit: str | None
    due_at: datetime
    status: CommitmentStatus
    note: str
    created_at: datetime
    closed_at: datetime | None


@strawberry.type
class CheckIn:
    id: strawberry.ID
    partnership_id: strawberry.ID
    held_at: datetime
    attendees: list[str]
    updates: list[str]
    wins: list[str]
    blockers: list[str]


@strawberry.type
class Milestone:
    id: strawberry.ID
    partnership_id: strawberry.ID
    title: str
    note: str
    reached_at: datetime
    update_id: strawberry.ID | None = strawberry.field(
        default=None, description="The win of the updates log it records, if it was one."
    )


@strawberry.type
class Contribution:
    id: strawberry.ID
    partnership_id: strawberry.ID
    organization_id: strawberry.ID
    kind: ContributionKind
    quantity: float
    unit: str
    estimated_value: float
    note: str
    created_at: datetime


@strawberry.type
class Feedback:
    id: strawberry.ID
    partnership_id: strawberry.ID
    rating: int
    comment: str
    participants_reached: int
    from_organization_id: strawberry.ID | None
    submitted_at: datetime


@strawberry.type
class LocalTime:
    organization_id: strawberry.ID
    start: datetime = strawberry.field(description="The slot's start in that partner's zone.")


@strawberry.type
class MeetingSlot:
    start: datetime
    end: datetime
    local_starts: list[LocalTime]


@strawberry.type
class ContributionTotal:
    organization_id: strawberry.ID
    kind: ContributionKind
    unit: str
    quantity: float
    estimated_value: float
    count: int


@strawberry.type(description="Numbers and people's feedback side by side.")
class PartnershipReport:
    partnership_id: strawberry.ID

    @strawberry.field(description="The report as a JSON document.")
    async def data(self, info: Info) -> JSON:
        path = f"/partnerships/{self.partnership_id}/report"
        return cast(JSON, await info.context.clients.commitments.get(path))

    @strawberry.field(
        description="The report as CSV, one row per figure or comment, with a header row and "
        "these columns in this order: "
        + "; ".join(f"`{name}`: {meaning}" for name, meaning in REPORT_CSV_COLUMNS.items())
        + "."
    )
    async def csv(self, info: Info) -> str:
        path = f"/partnerships/{self.partnership_id}/report"
        text: str = await info.context.clients.commitments.get(path, {"format": "csv"})
        return text

    @strawberry.field(
        description="The partnership's health over time as an SVG image: a path on this "
        "gateway, fetched with the same `Authorization: Bearer` token (or the dashboard's "
        "sign-in), which answers only the partnership's parties and its network's operator."
    )
    def health_chart_url(self) -> str:
        return f"/dashboard/partnerships/{self.partnership_id}/health.svg"

    @strawberry.field(
        description="Contributions by kind as an SVG image; fetched as `healthChartUrl`."
    )
    def contributions_chart_url(self) -> str:
        return f"/dashboard/partnerships/{self.partnership_id}/contributions.svg"


# What each kind of record is, as commitments answers it (`/{kind}/by-partnership`, and a
# record just made: `POST /partnerships/{id}/{kind}`).
RECORD_VIEWS: dict[str, type[Payload]] = {
    "commitments": c.CommitmentView,
    "check-ins": c.CheckInView,
    "milestones": c.MilestoneView,
    "contributions": c.ContributionView,
    "feedback": c.FeedbackView,
    "updates": c.PartnershipUpdateView,
    "community-responses": c.CommunityResponseView,
}


async def records(info: Info, kind: str, partnership_id: str) -> list[Any]:
    """A partnership's records of one kind; batched across partnerships in one request."""
    loader = info.context.loaders.batch("commitments", f"/{kind}/by-partnership", default=[])
    return [RECORD_VIEWS[kind].model_validate(d) for d in await loader.load(partnership_id)]


@strawberry.type
class Partnership(HealthOverTime):
    id: strawberry.ID
    network_id: strawberry.ID
    name: str
    status: PartnershipStatus
    goals: list[str]
    check_in_cadence: CheckInCadence
    time_zone: str
    need_id: strawberry.ID | None
    match_id: strawberry.ID | None
    organization_ids: list[strawberry.ID]
    roles: list[PartnershipRole]
    health: PartnershipHealth
    formed_at: datetime
    last_check_in_at: datetime | None
    next_check_in_at: datetime | None

    @strawberry.field
    async def organizations(self, info: Info) -> list[LazyOrganization]:
        from services.gateway.schema.intake import organization_of

        loader = info.context.loaders.batch("intake", "/organizations/by-ids")
        found = await loader.load_many(list(self.organization_ids))
        return [organization_of(p) for p in found if p is not None]

    @strawberry.field
    async def commitments(
        self,
        info: Info,
        status: CommitmentStatus | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Commitment]:
        items = build_all(Commitment, await records(info, "commitments", self.id))
        items = [c for c in items if status is None or c.status is status]
        return page_by_id(items, first, after)

    @strawberry.field
    async def check_ins(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[CheckIn]:
        items = build_all(CheckIn, await records(info, "check-ins", self.id))
        return page_by_id(items, first, after)

    @strawberry.field
    async def milestones(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[Milestone]:
        items = build_all(Milestone, await records(info, "milestones", self.id))
        return page_by_id(items, first, after)

    @strawberry.field
    async def contributions(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[Contribution]:
        items = build_all(Contribution, await records(info, "contributions", self.id))
        return page_by_id(items, first, after)

    @strawberry.field(description="Per organization, kind and unit, summed.")
    async def contribution_totals(self, info: Info) -> list[ContributionTotal]:
        totals = contribution_totals(await records(info, "contributions", self.id))
        return build_all(ContributionTotal, totals)

    @strawberry.field
    async def feedback(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[Feedback]:
        items = build_all(Feedback, await records(info, "feedback", self.id))
        return page_by_id(items, first, after)

    @strawberry.field(
        description="The updates log: progress, setbacks and wins the partners posted "
        "(postPartnershipUpdate), newest first."
    )
    async def updates(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[PartnershipUpdate]:
        items = build_all(PartnershipUpdate, await records(info, "updates", self.id))
        return page_by_id(items[::-1], first, after)

    @strawberry.field(
        description="What residents said on its (or its need's) public community voice page, "
        "newest first; `contact` only for the partners' members."
    )
    async def community_responses(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[CommunityResponse]:
        caller = await info.context.caller()
        partner = caller.organization_id in self.organization_ids
        found = await records(info, "community-responses", self.id)
        items = [build(CommunityResponse, r, contact=r.contact if partner else None) for r in found]
        return page_by_id(items[::-1], first, after)

    @strawberry.field(
        description="The next slots where every partner is available, across their time zones."
    )
    async def suggested_meeting_times(
        self, info: Info, first: int = 5, days: int = 14, duration_minutes: int = 60
    ) -> list[MeetingSlot]:
        found = await info.context.clients.commitments.get(
            f"/partnerships/{self.id}/meeting-times",
            {"first": first, "days": days, "duration_minutes": duration_minutes},
        )
        return build_all(MeetingSlot, [c.MeetingSlot.model_validate(s) for s in found])

    @strawberry.field
    def report(self) -> PartnershipReport:
        return PartnershipReport(partnership_id=self.id)


async def partnerships_of(info: Info, organization_id: str) -> list[Partnership]:
    """An organization's partnerships; batched across organizations in one request."""
    caller = await info.context.caller()
    loader = info.context.loaders.batch("commitments", "/partnerships/by-organization", default=[])
    found = [c.PartnershipView.model_validate(d) for d in await loader.load(organization_id)]
    return [build(Partnership, p) for p in found if listed_for(caller, p)]


def listed_for(caller: Caller, p: c.PartnershipView) -> bool:
    """A partnership of the caller's network; one formed across a link only for its partners
    and the operators of its two networks."""
    if not caller.in_network(network_seen(caller, p.network_id, p.network_ids)):
        return False
    across = len({p.network_id, *p.network_ids}) > 1
    return not across or caller.is_operator or caller.organization_id in p.organization_ids


async def reliability_of(info: Info, organization_id: str) -> float | None:
    """Follow-through across its partnerships, 0-1; null until a commitment closes."""
    loader = info.context.loaders.batch("commitments", "/reliability/by-organization")
    found = await loader.load(organization_id)
    return None if found is None else c.Reliability.model_validate(found).score
