"""The request models of intake's internal routes: what the gateway, the CLI and the demo send,
validated field by field (the error names the input path, `input.admin.email`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, EmailStr, Field, field_validator, model_validator

from shared.contracts.intake import MemberRole, ResourceKind
from shared.contracts.text import TextInput
from shared.zones import check_time_zone


class Input(TextInput):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


ShortText = Annotated[str, Field(min_length=1, max_length=200)]
LongText = Annotated[str, Field(max_length=5000)]
Tag = Annotated[str, Field(min_length=1, max_length=80)]


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


class MemberInput(Input):
    name: ShortText
    email: EmailStr
    role: MemberRole = MemberRole.MEMBER


class EvidenceInput(Input):
    source: Annotated[str, Field(min_length=1, max_length=80)] = "report"
    responses: Annotated[int, Field(ge=1, le=1_000_000)] = 1


class NeedInput(Input):
    network_id: ShortText
    title: ShortText
    description: LongText = ""
    focus_area: Tag
    area: ShortText
    severity: Annotated[int, Field(ge=1, le=5)]
    required_resources: Annotated[list[ResourceKind], Field(max_length=10)] = []
    affected_populations: Annotated[list[Tag], Field(max_length=20)] = []
    evidence: EvidenceInput = EvidenceInput()


# The bodies of the routes (a body wraps its input as `{"input": ...}` where the GraphQL
# mutation takes an `input` argument, so the path a validation error names is the same).
class RegisterOrganization(TextInput):
    input: OrganizationInput
    # The gateway has checked the caller is this network's operator, or passes the join code.
    authorized_as_operator: bool = False
    join_code: str | None = None


class UpdateOrganization(TextInput):
    input: OrganizationUpdate


class AddMember(TextInput):
    input: MemberInput


class RemoveMember(TextInput):
    removed_by: str  # who asks: the gateway has checked they may


class ReportNeed(TextInput):
    input: NeedInput
    reported_by: str = ""


class ResolveToken(TextInput):
    token: str


class ImportFile(TextInput):
    """A file imported into a network (a survey, a directory)."""

    network_id: str = Field(min_length=1, max_length=200)


class ImportSurvey(ImportFile):
    csv: str


class ImportDirectory(ImportFile):
    file: str


class ProposeNetworkLink(TextInput):
    other_network_id: str = Field(min_length=1, max_length=200)
    note: str = ""


class NetworkLinkStep(TextInput):
    network_id: str = Field(min_length=1, max_length=200)  # the network whose operator acts


class RequestSignInLinks(TextInput):
    email: EmailStr


class RedeemSignInLink(TextInput):
    token: str = Field(min_length=1, max_length=500)


class EndSessions(TextInput):
    token: str = Field(min_length=1, max_length=500)
    everywhere: bool = False
