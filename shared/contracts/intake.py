"""Events published by intake: organizations, members, needs, survey imports."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from shared.contracts import links, sessions
from shared.contracts.base import CamelAnswer, Payload


class ResourceKind(StrEnum):
    """The kinds of resources organizations offer and need (the API's controlled list)."""

    FUNDING = "funding"
    VOLUNTEERS = "volunteers"
    OUTREACH = "outreach"
    VENUE = "venue"
    EXPERTISE = "expertise"
    MATERIALS = "materials"
    TRANSPORT = "transport"
    COUNSELING = "counseling"
    MENTORING = "mentoring"
    OTHER = "other"


class Role(StrEnum):
    """What a token lets its holder do: a network's operator, an organization's admin, or a
    member."""

    OPERATOR = "OPERATOR"
    ORG_ADMIN = "ORG_ADMIN"
    MEMBER = "MEMBER"


class MemberRole(StrEnum):
    """The roles an admin gives a member (operators are not members of an organization)."""

    MEMBER = "MEMBER"
    ORG_ADMIN = "ORG_ADMIN"


class Resource(Payload):
    kind: str
    description: str = ""
    quantity: float | None = None
    unit: str | None = None


class AvailabilityWindow(Payload):
    day: str
    start: str
    end: str


def operator_member_id(network_id: str) -> str:
    """The member id of a network's operator (operators are not members of an organization)."""
    return f"{OPERATOR_PREFIX}{network_id}"


OPERATOR_PREFIX = "operator:"


class MemberRef(Payload):
    member_id: str
    name: str
    email: str
    role: str


class OrganizationProfile(Payload):
    organization_id: str
    network_id: str
    version: int
    name: str
    mission: str = ""
    focus_areas: list[str] = []
    free_tags: list[str] = []
    values: list[str] = []
    offers: list[Resource] = []
    needs: list[Resource] = []
    region: str = ""
    time_zone: str = "UTC"
    availability: list[AvailabilityWindow] = []
    populations_served: list[str] = []
    virtual_ready: bool = False
    # opted in to collaborations across linked networks (shared/contracts/links.py)
    open_to_other_networks: bool = False
    archived: bool = False


class OrganizationRegistered(Payload):
    profile: OrganizationProfile
    admin: MemberRef
    network_name: str = ""


class OrganizationUpdated(Payload):
    profile: OrganizationProfile


class OrganizationArchived(Payload):
    profile: OrganizationProfile


class MemberJoined(Payload):
    network_id: str
    organization_id: str
    member: MemberRef


class MemberRemoved(Payload):
    """The member's tokens are revoked in the same transaction."""

    network_id: str
    organization_id: str
    member: MemberRef
    removed_by: str  # the member id of the admin (or `operator:<network>`) who removed them


class Evidence(Payload):
    source: str
    responses: int


class NeedProfile(Payload):
    need_id: str
    network_id: str
    version: int
    title: str
    description: str = ""
    focus_area: str
    area: str
    severity: int
    required_resources: list[str] = []
    affected_populations: list[str] = []
    evidence: list[Evidence] = []
    created_at: datetime | None = None


class NeedReported(Payload):
    need: NeedProfile


class NeedUpdated(Payload):
    need: NeedProfile


class SurveyImported(Payload):
    network_id: str
    survey_id: str
    rows_imported: int
    rows_rejected: int
    needs_created: int
    needs_strengthened: int


# What intake's internal routes answer: profiles as the contract above, and these.


class NetworkView(CamelAnswer):
    network_id: str
    name: str
    region: str
    time_zone: str
    join_code: str  # the gateway shows it to the network's operator only


class CreatedNetwork(CamelAnswer):
    network_id: str
    operator_token: str  # shown only in this answer
    join_code: str


class TokenHolder(CamelAnswer):
    """Who a bearer token belongs to."""

    member_id: str
    network_id: str
    organization_id: str | None = None
    role: Role


class RegisteredOrganization(CamelAnswer):
    organization: OrganizationProfile
    admin: MemberRef
    admin_token: str  # shown only in this answer


class OrganizationAnswer(Payload):
    """The profile after an update or archiving."""

    organization: OrganizationProfile


class MemberAnswer(Payload):
    member: MemberRef


class AddedMember(MemberAnswer):
    token: str  # the new member's, shown only in this answer


class NeedAnswer(Payload):
    need: NeedProfile
    strengthened: bool  # the need was known already for its area and focus area


class RejectedRow(Payload):
    row: int
    field: str
    message: str


class SurveyImport(CamelAnswer):
    survey_id: str
    needs_created: int
    needs_strengthened: int
    rows_imported: int
    rows_rejected: int
    rejected_rows: list[RejectedRow] = []


class DirectoryRejectedRow(RejectedRow):
    file: str  # the package's file, or `datapackage.json (<resource>)` for inline data


class DirectoryImport(CamelAnswer):
    import_id: str
    organizations_created: int
    organizations_updated: int
    organizations_unchanged: int
    offers: int
    rows_read: int
    rows_rejected: int
    rejected_rows: list[DirectoryRejectedRow] = []


class DirectoryExport(CamelAnswer):
    file_name: str
    content_type: str
    data_url: str  # the zip as a data URL, which the import takes as it is
    organizations: int
    rows: int
    bytes: int


EVENTS: dict[str, type[Payload]] = {
    "organization.registered": OrganizationRegistered,
    "organization.updated": OrganizationUpdated,
    "organization.archived": OrganizationArchived,
    "member.joined": MemberJoined,
    "member.removed": MemberRemoved,
    "need.reported": NeedReported,
    "need.updated": NeedUpdated,
    "survey.imported": SurveyImported,
    **links.EVENTS,  # intake publishes them too
    **sessions.EVENTS,
}
