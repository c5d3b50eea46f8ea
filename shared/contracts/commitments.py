"""Events published by commitments: partnerships and everything partners promise and do."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from shared.contracts.base import Payload


# The service's values are lower case; GraphQL shows the member names (`ACTIVE`).
class PartnershipStatus(StrEnum):
    FORMING = "forming"
    ACTIVE = "active"
    PAUSED = "paused"
    CLOSED = "closed"


class CheckInCadence(StrEnum):
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"


class CommitmentStatus(StrEnum):
    PROPOSED = "proposed"  # owned by another organization than its maker's, not yet accepted
    OPEN = "open"
    DONE = "done"
    MISSED = "missed"
    CANCELLED = "cancelled"
    DECLINED = "declined"  # a proposal its owner turned down


class HealthTrend(StrEnum):
    """The direction of a partnership's health over its last check-in periods."""

    IMPROVING = "improving"
    STEADY = "steady"
    DECLINING = "declining"


class HealthWarningReason(StrEnum):
    """Why an early warning was given."""

    DECLINING = "declining"
    AT_RISK = "at_risk"


class UpdateKind(StrEnum):
    """What a partner's update tells: progress made, a setback met, or a win."""

    PROGRESS = "progress"
    SETBACK = "setback"
    WIN = "win"


class ContributionKind(StrEnum):
    VOLUNTEER_HOURS = "volunteer_hours"
    MATERIALS = "materials"
    FUNDS = "funds"
    SERVICES = "services"


class PartnershipRef(Payload):
    partnership_id: str
    network_id: str
    name: str
    organization_ids: list[str]
    # its partners' networks: two when it was formed across a link between networks
    network_ids: list[str] = []


class PartnershipRole(Payload):
    organization_id: str
    title: str
    responsibilities: list[str] = []
    suggested: bool = False


class PartnershipFormed(Payload):
    partnership: PartnershipRef
    goals: list[str] = []
    check_in_cadence: str = "biweekly"
    roles: list[PartnershipRole] = []
    match_id: str | None = None
    need_id: str | None = None


class PartnershipUpdated(Payload):
    """Status or roles changed (partnership.updated)."""

    partnership: PartnershipRef
    status: str
    roles: list[PartnershipRole] = []


class CommitmentEvent(Payload):
    """commitment.made / fulfilled / due_soon / overdue / missed / cancelled / accepted /
    declined (a commitment made for another organization is made `proposed`)."""

    partnership: PartnershipRef
    commitment_id: str
    owner_organization_id: str
    title: str
    kind: str = ""
    quantity: float | None = None
    unit: str | None = None
    due_at: datetime
    status: str


# One class per topic, so an event names its own topic (shared.contracts.event_type_of); their
# fields are CommitmentEvent's.
class CommitmentMade(CommitmentEvent):
    pass


class CommitmentFulfilled(CommitmentEvent):
    pass


class CommitmentMissed(CommitmentEvent):
    pass


class CommitmentCancelled(CommitmentEvent):
    pass


class CommitmentAccepted(CommitmentEvent):
    pass


class CommitmentDeclined(CommitmentEvent):
    pass


class CommitmentDueSoon(CommitmentEvent):
    pass


class CommitmentOverdue(CommitmentEvent):
    pass


class CheckInRecorded(Payload):
    partnership: PartnershipRef
    check_in_id: str
    held_at: datetime
    attendees: list[str] = []
    updates: list[str] = []
    wins: list[str] = []
    blockers: list[str] = []


class CheckInDue(Payload):
    partnership: PartnershipRef
    due_at: datetime
    last_check_in_at: datetime | None = None


class MilestoneReached(Payload):
    partnership: PartnershipRef
    milestone_id: str
    title: str
    note: str = ""
    update_id: str | None = None  # the win it was recorded from, when it was one


class PartnershipUpdatePosted(Payload):
    """A partner posted progress, a setback or a win to the partnership's updates log."""

    partnership: PartnershipRef
    update_id: str
    kind: UpdateKind
    text: str
    organization_id: str | None = None  # none for the network's operator
    member_id: str


class CommunityResponseReceived(Payload):
    """A resident answered a partnership's (or a need's) public community voice page. The
    contact a resident may leave is not in the event (it would reach webhooks and every
    subscriber): partners read it from the partnership's `communityResponses`."""

    partnership: PartnershipRef | None = None  # none: a need no partnership takes up yet
    network_id: str
    need_id: str | None = None
    response_id: str
    rating: int
    story: str = ""
    has_contact: bool = False


class ContributionLogged(Payload):
    partnership: PartnershipRef
    contribution_id: str
    organization_id: str
    kind: str
    quantity: float
    unit: str
    estimated_value: float = 0.0


class FeedbackReceived(Payload):
    partnership: PartnershipRef
    feedback_id: str
    rating: int
    comment: str = ""
    participants_reached: int = 0


class HealthSource(Payload):
    """One source a health part blends (the feedback part: `partners` and `community`)."""

    name: str
    score: float
    weight: float
    count: int
    detail: str = ""


class HealthPart(Payload):
    name: str
    score: float
    weight: float
    detail: str = ""
    sources: list[HealthSource] = []


class PartnershipHealthChanged(Payload):
    partnership: PartnershipRef
    score: float
    previous_score: float | None = None
    parts: list[HealthPart] = []


class HealthWarningFacts(Payload):
    """What an early warning says, in its event and as it is kept."""

    reason: str
    crossing: str
    score: float
    previous_score: float
    part: HealthPart
    part_previous_score: float
    summary: str


class PartnershipHealthWarning(HealthWarningFacts):
    """Early warning (partnership.health_warning): health fell at two check-in period ends in a
    row (`declining`) or crossed into "at risk" (`at_risk`). One per crossing: its event id
    follows from the partnership and the crossing's key."""

    partnership: PartnershipRef


class OrganizationReliabilityChanged(Payload):
    organization_id: str
    network_id: str
    reliability: float
    previous: float | None = None
    closed_commitments: int = 0


# What commitments' internal routes answer and the gateway reads: the stored documents, with
# `id` for `_id` (fields only the service reads stay out).


class PartnershipHealth(Payload):
    score: float
    label: str
    parts: list[HealthPart] = []


class HealthPoint(PartnershipHealth):
    """A partnership's health from `at` until the next point (its health history)."""

    at: datetime


class HealthWarningView(HealthWarningFacts):
    """An early warning as it was given (`partnership.health_warning`) and kept."""

    id: str
    partnership_id: str
    at: datetime


class PartnershipView(Payload):
    id: str
    network_id: str
    network_ids: list[str] = []  # its partners' networks when it was formed across a link
    name: str
    status: PartnershipStatus
    goals: list[str] = []
    check_in_cadence: CheckInCadence
    time_zone: str = "UTC"
    need_id: str | None = None
    match_id: str | None = None
    organization_ids: list[str]
    roles: list[PartnershipRole] = []
    health: PartnershipHealth
    formed_at: datetime
    last_check_in_at: datetime | None = None
    next_check_in_at: datetime | None = None
    closed_at: datetime | None = None


class CommitmentView(Payload):
    id: str
    partnership_id: str
    network_id: str
    owner_organization_id: str
    title: str
    kind: str = ""
    quantity: float | None = None
    unit: str | None = None
    due_at: datetime
    status: CommitmentStatus
    note: str = ""
    created_at: datetime
    closed_at: datetime | None = None


class CheckInView(Payload):
    id: str
    partnership_id: str
    held_at: datetime
    attendees: list[str] = []
    updates: list[str] = []
    wins: list[str] = []
    blockers: list[str] = []
    created_at: datetime


class MilestoneView(Payload):
    id: str
    partnership_id: str
    title: str
    note: str = ""
    reached_at: datetime
    created_at: datetime
    update_id: str | None = None


class PartnershipUpdateView(Payload):
    id: str
    partnership_id: str
    kind: UpdateKind
    text: str
    organization_id: str | None = None
    member_id: str
    posted_at: datetime
    milestone_id: str | None = None  # set once the win was recorded as a milestone
    created_at: datetime


class CommunityResponseView(Payload):
    """A resident's answer as partners read it; `contact` is private to the partners (the
    gateway shows it to their members only, never on a public page)."""

    id: str
    partnership_id: str | None = None
    network_id: str
    need_id: str | None = None
    rating: int
    story: str = ""
    contact: str = ""
    submitted_at: datetime
    created_at: datetime


class CommunityReceipt(Payload):
    """What the public page learns after a response is kept: ids only, nothing of others."""

    response_ids: list[str]


class Contributed(Payload):
    """What a contribution adds to its organization's totals."""

    organization_id: str
    kind: ContributionKind
    quantity: float
    unit: str
    estimated_value: float = 0.0


class ContributionView(Contributed):
    id: str
    partnership_id: str
    note: str = ""
    created_at: datetime


class FeedbackView(Payload):
    id: str
    partnership_id: str
    rating: int
    comment: str = ""
    participants_reached: int = 0
    from_organization_id: str | None = None
    submitted_at: datetime
    created_at: datetime


class LocalStart(Payload):
    organization_id: str
    start: datetime


class MeetingSlot(Payload):
    start: datetime
    end: datetime
    local_starts: list[LocalStart] = []


class Reliability(Payload):
    """An organization's follow-through across its partnerships (0-1)."""

    score: float
    closed_commitments: int = 0


class ContributionTotal(Payload):
    """One organization's contributions of one kind and unit, summed."""

    organization_id: str
    kind: ContributionKind
    unit: str
    quantity: float
    estimated_value: float
    count: int


def contribution_totals(contributions: Iterable[Contributed]) -> list[ContributionTotal]:
    """Per organization, kind and unit, in the order each first appears (the partnership's
    `contributionTotals` and its report read the same sums)."""
    sums: dict[tuple[str, ContributionKind, str], list[float]] = {}
    for c in contributions:
        row = sums.setdefault((c.organization_id, c.kind, c.unit), [0.0, 0.0, 0])
        row[0] += c.quantity
        row[1] += c.estimated_value
        row[2] += 1
    return [
        ContributionTotal(
            organization_id=organization_id,
            kind=ContributionKind(kind),
            unit=unit,
            quantity=quantity,
            estimated_value=value,
            count=int(count),
        )
        for (organization_id, kind, unit), (quantity, value, count) in sums.items()
    ]


# The partnership report as CSV (`PartnershipReport.csv`): one row per figure or comment, these
# columns in this order, the meaning of each as the GraphQL schema documents it.
REPORT_CSV_COLUMNS: dict[str, str] = {
    "section": "partnership, commitments, check_ins, milestones, contributions, engagement, "
    "feedback, stories or health",
    "organization": "the contributing organization's name, on contributions only",
    "measure": "what the row counts or names (done, volunteer_hours, rating, win…)",
    "value": "the figure, or the partnership's name or status",
    "unit": "the value's unit when it has one (hours, of 5…)",
    "note": "the words that go with it (a comment, a milestone's note, a win, a health label)",
}


EVENTS: dict[str, type[Payload]] = {
    "partnership.formed": PartnershipFormed,
    "partnership.updated": PartnershipUpdated,
    "commitment.made": CommitmentMade,
    "commitment.fulfilled": CommitmentFulfilled,
    "commitment.missed": CommitmentMissed,
    "commitment.cancelled": CommitmentCancelled,
    "commitment.accepted": CommitmentAccepted,
    "commitment.declined": CommitmentDeclined,
    "commitment.due_soon": CommitmentDueSoon,
    "commitment.overdue": CommitmentOverdue,
    "checkin.recorded": CheckInRecorded,
    "checkin.due": CheckInDue,
    "milestone.reached": MilestoneReached,
    "partnership.update_posted": PartnershipUpdatePosted,
    "community.response_received": CommunityResponseReceived,
    "contribution.logged": ContributionLogged,
    "feedback.received": FeedbackReceived,
    "partnership.health_changed": PartnershipHealthChanged,
    "partnership.health_warning": PartnershipHealthWarning,
    "organization.reliability_changed": OrganizationReliabilityChanged,
}
