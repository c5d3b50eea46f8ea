"""What callers may send, validated field by field (the error names the input path)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, ConfigDict, Field, StringConstraints, field_validator

from shared.contracts.commitments import (
    CheckInCadence,
    CommitmentStatus,
    ContributionKind,
    PartnershipStatus,
    UpdateKind,
)
from shared.contracts.text import TextInput
from shared.zones import check_time_zone

CADENCE_DAYS: dict[CheckInCadence, int] = {
    CheckInCadence.WEEKLY: 7,
    CheckInCadence.BIWEEKLY: 14,
    CheckInCadence.MONTHLY: 30,
}


Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
Lines = Annotated[list[Line], Field(max_length=50)]


class Strict(TextInput):
    model_config = ConfigDict(extra="forbid")


class PartnershipInput(Strict):
    network_id: Id
    name: Title
    organization_ids: Annotated[list[Id], Field(min_length=2, max_length=20)]
    goals: Lines = []
    check_in_cadence: CheckInCadence = CheckInCadence.BIWEEKLY
    time_zone: str = "UTC"
    need_id: Id | None = None
    # the partners' networks, when they are not all of `network_id` (a match across a link)
    network_ids: Annotated[list[Id], Field(max_length=2)] = []

    _zone = field_validator("time_zone")(check_time_zone)

    @field_validator("organization_ids")
    @classmethod
    def _distinct(cls, ids: list[str]) -> list[str]:
        if len(set(ids)) != len(ids):
            raise ValueError("each organization may be listed once")
        return ids


class RolesInput(Strict):
    organization_id: Id
    title: Title
    responsibilities: Lines = []


class PartnershipChanges(Strict):
    """What partners may change after formation (a partnership formed from a match starts
    with the parties' names, the match's reasons as goals and a biweekly cadence); a field
    left out stays as it is."""

    name: Title | None = None
    goals: Lines | None = None
    check_in_cadence: CheckInCadence | None = None
    need_id: Id | None = None


class StatusInput(Strict):
    status: PartnershipStatus
    note: Note = ""


class CommitmentInput(Strict):
    owner_organization_id: Id
    title: Title
    kind: Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)] = ""
    quantity: Annotated[float, Field(ge=0, le=1e9)] | None = None
    unit: Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)] | None = None
    due_at: AwareDatetime


class CommitmentAnswer(Strict):
    """The owner organization's answer to a proposed commitment."""

    accept: bool
    organization_id: Id
    note: Note = ""


class CommitmentUpdate(Strict):
    status: CommitmentStatus
    note: Note = ""


class CheckInInput(Strict):
    held_at: AwareDatetime
    attendees: Lines = []
    updates: Lines = []
    wins: Lines = []
    blockers: Lines = []


class MilestoneInput(Strict):
    title: Title
    note: Note = ""
    # a win from the updates log that this milestone records (once per win)
    update_id: Id | None = None


class UpdateInput(Strict):
    """A partner's post to the updates log."""

    kind: UpdateKind
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
    organization_id: Id | None = None  # the poster's organization (none for the operator)


class CommunityResponseInput(Strict):
    """A resident's answer on a public community voice page: a rating, a story, and contact
    details only if they want to be reached (private to the partners)."""

    rating: Annotated[int, Field(ge=1, le=5)]
    story: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""
    contact: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""


class ContributionInput(Strict):
    organization_id: Id
    kind: ContributionKind
    quantity: Annotated[float, Field(gt=0, le=1e9)]
    unit: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
    estimated_value: Annotated[float, Field(ge=0, le=1e12)] = 0.0
    note: Note = ""


class FeedbackInput(Strict):
    rating: Annotated[int, Field(ge=1, le=5)]
    comment: Note = ""
    participants_reached: Annotated[int, Field(ge=0, le=10_000_000)] = 0
    from_organization_id: Id | None = None
