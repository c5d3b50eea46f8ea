"""The services' enums, exposed as GraphQL enums. Each is declared once, in the contract of the
service that owns it (`shared/contracts/`); the gateway only names it for GraphQL here.

GraphQL shows an enum's member names (`ACTIVE`, `VOLUNTEER_HOURS`) and resolvers see the
members themselves, whose values are what the services store and send (`active`), so nothing
converts case on the way in or out."""

from __future__ import annotations

import strawberry

from shared.contracts.commitments import (
    CheckInCadence,
    CommitmentStatus,
    ContributionKind,
    HealthTrend,
    HealthWarningReason,
    PartnershipStatus,
)
from shared.contracts.intake import MemberRole, ResourceKind, Role
from shared.contracts.links import LinkStatus
from shared.contracts.matching import MatchDecision, MatchStatus
from shared.contracts.notifications import DigestMode, NotificationChannel

strawberry.enum(ResourceKind, name="ResourceKind")
strawberry.enum(Role, name="Role")
strawberry.enum(MemberRole, name="MemberRole")
strawberry.enum(MatchStatus, name="MatchStatus")
strawberry.enum(MatchDecision, name="MatchDecision")
strawberry.enum(PartnershipStatus, name="PartnershipStatus")
strawberry.enum(CheckInCadence, name="CheckInCadence")
strawberry.enum(CommitmentStatus, name="CommitmentStatus")
strawberry.enum(ContributionKind, name="ContributionKind")
strawberry.enum(NotificationChannel, name="NotificationChannel")
strawberry.enum(DigestMode, name="DigestMode")
strawberry.enum(
    HealthTrend,
    name="HealthTrend",
    description="The direction of a partnership's health over its last periods.",
)
strawberry.enum(
    HealthWarningReason, name="HealthWarningReason", description="Why an early warning was given."
)
strawberry.enum(
    LinkStatus,
    name="NetworkLinkStatus",
    description="PROPOSED until the other network's operator answers; ACTIVE once accepted; "
    "DECLINED and ENDED are final.",
)

__all__ = [
    "CheckInCadence",
    "CommitmentStatus",
    "ContributionKind",
    "DigestMode",
    "HealthTrend",
    "HealthWarningReason",
    "LinkStatus",
    "MatchDecision",
    "MatchStatus",
    "MemberRole",
    "NotificationChannel",
    "PartnershipStatus",
    "ResourceKind",
    "Role",
]
