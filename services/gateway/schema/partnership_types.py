"""GraphQL types of the commitments service: partnerships and what happens in them. A
partnership's records are fields loaded through per-request DataLoaders, so a list of
partnerships with their commitments costs one call per kind of record, not one per parent."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, cast

import strawberry
from strawberry.scalars import JSON

from services.gateway.schema.context import Info
from services.gateway.schema.health import HealthOverTime
from services.gateway.schema.relay import Connection, page_of
from shared.contracts.commitments import REPORT_CSV_COLUMNS

if TYPE_CHECKING:
    from services.gateway.schema.intake import Organization

Doc = dict[str, Any]
# Organization's module uses these types, so this side refers to it lazily.
LazyOrganization = Annotated["Organization", strawberry.lazy("services.gateway.schema.intake")]


@strawberry.enum
class PartnershipStatus(Enum):
    FORMING = "FORMING"
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    CLOSED = "CLOSED"


@strawberry.enum
class CheckInCadence(Enum):
    WEEKLY = "WEEKLY"
    BIWEEKLY = "BIWEEKLY"
    MONTHLY = "MONTHLY"


@strawberry.enum
class CommitmentStatus(Enum):
    PROPOSED = "PROPOSED"
    OPEN = "OPEN"
    DONE = "DONE"
    MISSED = "MISSED"
    CANCELLED = "CANCELLED"
    DECLINED = "DECLINED"


@strawberry.enum
class ContributionKind(Enum):
    VOLUNTEER_HOURS = "VOLUNTEER_HOURS"
    MATERIALS = "MATERIALS"
    FUNDS = "FUNDS"
    SERVICES = "SERVICES"


def when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


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

    @classmethod
    def from_doc(cls, d: Doc) -> Commitment:
        return cls(
            id=strawberry.ID(d["id"]),
            partnership_id=strawberry.ID(d["partnership_id"]),
            owner_organization_id=strawberry.ID(d["owner_organization_id"]),
            title=d["title"],
            kind=d["kind"],
            quantity=d["quantity"],
            unit=d["unit"],
            due_at=at(d["due_at"]),
            status=CommitmentStatus(d["status"].upper()),
            note=d["note"],
            created_at=at(d["created_at"]),
            closed_at=when(d["closed_at"]),
        )


@strawberry.type
class CheckIn:
    id: strawberry.ID
    partnership_id: strawberry.ID
    held_at: datetime
    attendees: list[str]
    updates: list[str]
    wins: list[str]
    blockers: list[str]

    @classmethod
    def from_doc(cls, d: Doc) -> CheckIn:
        return cls(
            id=strawberry.ID(d["id"]),
            partnership_id=strawberry.ID(d["partnership_id"]),
            held_at=at(d["held_at"]),
            attendees=d["attendees"],
            updates=d["updates"],
            wins=d["wins"],
            blockers=d["blockers"],
        )


@strawberry.type
class Milestone:
    id: strawberry.ID
    partnership_id: strawberry.ID
    title: str
    note: str
    reached_at: datetime

    @classmethod
    def from_doc(cls, d: Doc) -> Milestone:
        return cls(
            id=strawberry.ID(d["id"]),
            partnership_id=strawberry.ID(d["partnership_id"]),
            title=d["title"],
            note=d["note"],
            reached_at=at(d["reached_at"]),
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

    @classmethod
    def from_doc(cls, d: Doc) -> Contribution:
        return cls(
            id=strawberry.ID(d["id"]),
            partnership_id=strawberry.ID(d["partnership_id"]),
            organization_id=strawberry.ID(d["organization_id"]),
            kind=ContributionKind(d["kind"].upper()),
            quantity=d["quantity"],
            unit=d["unit"],
            estimated_value=d["estimated_value"],
            note=d["note"],
            created_at=at(d["created_at"]),
        )


@strawberry.type
class Feedback:
    id: strawberry.ID
    partnership_id: strawberry.ID
    rating: int
    comment: str
    participants_reached: int
    from_organization_id: strawberry.ID | None
    submitted_at: datetime

    @classmethod
    def from_doc(cls, d: Doc) -> Feedback:
        return cls(
            id=strawberry.ID(d["id"]),
            partnership_id=strawberry.ID(d["partnership_id"]),
            rating=d["rating"],
            comment=d["comment"],
            participants_reached=d["participants_reached"],
            from_organization_id=d.get("from_organization_id"),
            submitted_at=at(d["submitted_at"]),
        )


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


async def records(info: Info, kind: str, partnership_id: str) -> list[Doc]:
    loader = info.context.loaders.batch("commitments", f"/{kind}/by-partnership", default=[])
    found: list[Doc] = await loader.load(partnership_id)
    return found


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

    @classmethod
    def from_doc(cls, d: Doc) -> Partnership:
        health = d["health"]
        return cls(
            id=strawberry.ID(d["id"]),
            network_id=strawberry.ID(d["network_id"]),
            name=d["name"],
            status=PartnershipStatus(d["status"].upper()),
            goals=d["goals"],
            check_in_cadence=CheckInCadence(d["check_in_cadence"].upper()),
            time_zone=d["time_zone"],
            need_id=d.get("need_id"),
            match_id=d.get("match_id"),
            organization_ids=[strawberry.ID(o) for o in d["organization_ids"]],
            roles=[PartnershipRole(**r) for r in d["roles"]],
            health=PartnershipHealth(
                score=health["score"],
                label=health["label"],
                parts=[HealthPart(**p) for p in health["parts"]],
            ),
            formed_at=at(d["formed_at"]),
            last_check_in_at=when(d.get("last_check_in_at")),
            next_check_in_at=when(d.get("next_check_in_at")),
        )

    @strawberry.field
    async def organizations(self, info: Info) -> list[LazyOrganization]:
        from services.gateway.schema.intake import Organization

        loader = info.context.loaders.batch("intake", "/organizations/by-ids")
        found = await loader.load_many(list(self.organization_ids))
        return [Organization.from_profile(p) for p in found if p is not None]

    @strawberry.field
    async def commitments(
        self,
        info: Info,
        status: CommitmentStatus | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Commitment]:
        items = [Commitment.from_doc(d) for d in await records(info, "commitments", self.id)]
        items = [c for c in items if status is None or c.status is status]
        return page_of(items, [c.id for c in items], first, after)

    @strawberry.field
    async def check_ins(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[CheckIn]:
        items = [CheckIn.from_doc(d) for d in await records(info, "check-ins", self.id)]
        return page_of(items, [c.id for c in items], first, after)

    @strawberry.field
    async def milestones(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[Milestone]:
        items = [Milestone.from_doc(d) for d in await records(info, "milestones", self.id)]
        return page_of(items, [m.id for m in items], first, after)

    @strawberry.field
    async def contributions(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[Contribution]:
        items = [Contribution.from_doc(d) for d in await records(info, "contributions", self.id)]
        return page_of(items, [c.id for c in items], first, after)

    @strawberry.field(description="Per organization, kind and unit, summed.")
    async def contribution_totals(self, info: Info) -> list[ContributionTotal]:
        totals: dict[tuple[str, str, str], ContributionTotal] = {}
        for c in await records(info, "contributions", self.id):
            key = (c["organization_id"], c["kind"], c["unit"])
            total = totals.setdefault(
                key,
                ContributionTotal(
                    organization_id=strawberry.ID(c["organization_id"]),
                    kind=ContributionKind(c["kind"].upper()),
                    unit=c["unit"],
                    quantity=0.0,
                    estimated_value=0.0,
                    count=0,
                ),
            )
            total.quantity += c["quantity"]
            total.estimated_value += c["estimated_value"]
            total.count += 1
        return list(totals.values())

    @strawberry.field
    async def feedback(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[Feedback]:
        items = [Feedback.from_doc(d) for d in await records(info, "feedback", self.id)]
        return page_of(items, [f.id for f in items], first, after)

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
        return [
            MeetingSlot(
                start=at(s["start"]),
                end=at(s["end"]),
                local_starts=[
                    LocalTime(
                        organization_id=strawberry.ID(x["organization_id"]), start=at(x["start"])
                    )
                    for x in s["local_starts"]
                ],
            )
            for s in found
        ]

    @strawberry.field
    def report(self) -> PartnershipReport:
        return PartnershipReport(partnership_id=self.id)


async def partnerships_of(info: Info, organization_id: str) -> list[Partnership]:
    """An organization's partnerships; batched across organizations in one request."""
    caller = await info.context.caller()
    loader = info.context.loaders.batch("commitments", "/partnerships/by-organization", default=[])
    docs: list[Doc] = await loader.load(organization_id)
    return [Partnership.from_doc(d) for d in docs if caller.in_network(d["network_id"])]


async def reliability_of(info: Info, organization_id: str) -> float | None:
    """Follow-through across its partnerships, 0-1; null until a commitment closes."""
    loader = info.context.loaders.batch("commitments", "/reliability/by-organization")
    found: Doc | None = await loader.load(organization_id)
    return None if found is None else float(found["score"])
