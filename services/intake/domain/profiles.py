"""Organization profiles and members: validated inputs and the documents made from them."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import ConfigDict, EmailStr, Field, field_validator, model_validator

from services.intake.domain.vocabulary import classify
from shared import contracts
from shared.contracts.intake import MemberRole, ResourceKind, Role
from shared.contracts.text import TextInput
from shared.errors import AppError, ErrorCode
from shared.events import new_id
from shared.zones import check_time_zone

ShortText = Annotated[str, Field(min_length=1, max_length=200)]
LongText = Annotated[str, Field(max_length=5000)]
Tag = Annotated[str, Field(min_length=1, max_length=80)]


class Input(TextInput):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class NetworkInput(Input):
    name: ShortText
    region: ShortText
    time_zone: str = "UTC"
    # the coordinator's email: they sign in to /app with a one-time link sent there
    operator_email: EmailStr | None = None

    _tz = field_validator("time_zone")(check_time_zone)

    @field_validator("operator_email")
    @classmethod
    def _lower(cls, email: str | None) -> str | None:
        return email.lower() if email else None


class AdminInput(Input):
    name: ShortText
    email: EmailStr


class ResourceInput(Input):
    kind: ResourceKind
    description: Annotated[str, Field(max_length=500)] = ""
    quantity: Annotated[float | None, Field(ge=0)] = None
    unit: Annotated[str | None, Field(max_length=40)] = None


DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ClockTime = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]


class WindowInput(Input):
    """A weekly window in the organization's own time zone, e.g. Tuesday 17:00-20:00."""

    day: str
    start: ClockTime
    end: ClockTime

    @field_validator("day")
    @classmethod
    def known_day(cls, value: str) -> str:
        day = value.strip().lower()[:3]
        if day not in DAYS:
            raise ValueError(f"unknown day {value!r}; use Monday to Sunday")
        return day

    @model_validator(mode="after")
    def starts_before_it_ends(self) -> WindowInput:
        if self.start >= self.end:
            raise ValueError(f"start {self.start} must be before end {self.end}")
        return self


def no_overlaps(windows: list[WindowInput]) -> list[WindowInput]:
    for i, window in enumerate(windows):
        for j, other in enumerate(windows[:i]):
            if window.day == other.day and window.start < other.end and other.start < window.end:
                raise ValueError(f"window {i} overlaps window {j} on {window.day}")
    return windows


class OrganizationInput(Input):
    network_id: ShortText
    name: ShortText
    mission: LongText = ""
    focus_areas: Annotated[list[Tag], Field(max_length=20)] = []
    values: Annotated[list[Tag], Field(max_length=20)] = []
    offers: Annotated[list[ResourceInput], Field(max_length=30)] = []
    needs: Annotated[list[ResourceInput], Field(max_length=30)] = []
    region: Annotated[str, Field(max_length=200)] = ""
    time_zone: str = "UTC"
    availability: Annotated[list[WindowInput], Field(max_length=50)] = []
    populations_served: Annotated[list[Tag], Field(max_length=20)] = []
    virtual_ready: bool = False
    open_to_other_networks: bool = False
    admin: AdminInput

    _tz = field_validator("time_zone")(check_time_zone)
    _windows = field_validator("availability")(no_overlaps)


def normalized_name(name: str) -> str:
    """ "The Green Leaf, Inc." and "green leaf" are the same organization."""
    words = re.sub(r"[^a-z0-9 ]", " ", name.lower()).split()
    stop = {"the", "inc", "llc", "ltd", "org", "organization", "co"}
    return " ".join(w for w in words if w not in stop)


def with_focus_codes(fields: dict[str, Any]) -> dict[str, Any]:
    """Focus areas as vocabulary codes; terms outside the vocabulary become free tags."""
    if "focus_areas" in fields:
        terms = classify(fields["focus_areas"])
        fields = {**fields, "focus_areas": terms.codes, "free_tags": terms.free_tags}
    return fields


def new_organization(data: OrganizationInput) -> contracts.OrganizationProfile:
    return contracts.OrganizationProfile(
        organization_id=new_id("org"),
        version=1,
        **with_focus_codes(data.model_dump(exclude={"admin"})),
    )


def _optional_time_zone(value: str | None) -> str | None:
    return None if value is None else check_time_zone(value)


def _optional_windows(windows: list[WindowInput] | None) -> list[WindowInput] | None:
    return None if windows is None else no_overlaps(windows)


class OrganizationUpdate(Input):
    """A partial profile: only the fields sent change (a list sent replaces the list)."""

    name: ShortText | None = None
    mission: LongText | None = None
    focus_areas: Annotated[list[Tag] | None, Field(max_length=20)] = None
    values: Annotated[list[Tag] | None, Field(max_length=20)] = None
    offers: Annotated[list[ResourceInput] | None, Field(max_length=30)] = None
    needs: Annotated[list[ResourceInput] | None, Field(max_length=30)] = None
    region: Annotated[str | None, Field(max_length=200)] = None
    time_zone: str | None = None
    availability: Annotated[list[WindowInput] | None, Field(max_length=50)] = None
    populations_served: Annotated[list[Tag] | None, Field(max_length=20)] = None
    virtual_ready: bool | None = None
    open_to_other_networks: bool | None = None

    _tz = field_validator("time_zone")(_optional_time_zone)
    _windows = field_validator("availability")(_optional_windows)


def updated_organization(
    current: contracts.OrganizationProfile, update: OrganizationUpdate
) -> contracts.OrganizationProfile:
    changes = with_focus_codes(update.model_dump(exclude_none=True))
    return contracts.OrganizationProfile(
        **{**current.model_dump(), **changes, "version": current.version + 1}
    )


def archived_organization(current: contracts.OrganizationProfile) -> contracts.OrganizationProfile:
    return current.model_copy(update={"archived": True, "version": current.version + 1})


class MemberInput(Input):
    name: ShortText
    email: EmailStr
    role: MemberRole = MemberRole.MEMBER


def new_member(name: str, email: str, role: Role) -> contracts.MemberRef:
    return contracts.MemberRef(member_id=new_id("mem"), name=name, email=email.lower(), role=role)


def check_removable(role: str, admins: int) -> None:
    """An organization keeps at least one admin, who can add members and answer matches."""
    if role == Role.ORG_ADMIN and admins <= 1:
        raise AppError(
            ErrorCode.CONFLICT,
            "the last admin of an organization cannot be removed; add another admin first",
            field="memberId",
        )
