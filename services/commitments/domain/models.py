"""What callers may send is the contract (`shared.contracts.requests.commitments`), named here
for the use cases; the rule below is the domain's own."""

from __future__ import annotations

from shared.contracts.commitments import CheckInCadence
from shared.contracts.requests.commitments import (
    CheckInInput,
    CommitmentAnswer,
    CommitmentInput,
    CommitmentStatus,
    CommitmentUpdate,
    CommunityResponseInput,
    ContributionInput,
    FeedbackInput,
    MilestoneInput,
    PartnershipChanges,
    PartnershipInput,
    PartnershipStatus,
    RolesInput,
    StatusInput,
    Strict,
    UpdateInput,
    UpdateKind,
)

CADENCE_DAYS: dict[CheckInCadence, int] = {
    CheckInCadence.WEEKLY: 7,
    CheckInCadence.BIWEEKLY: 14,
    CheckInCadence.MONTHLY: 30,
}

__all__ = [
    "CADENCE_DAYS",
    "CheckInCadence",
    "CheckInInput",
    "CommitmentAnswer",
    "CommitmentInput",
    "CommitmentStatus",
    "CommitmentUpdate",
    "CommunityResponseInput",
    "ContributionInput",
    "FeedbackInput",
    "MilestoneInput",
    "PartnershipChanges",
    "PartnershipInput",
    "PartnershipStatus",
    "RolesInput",
    "StatusInput",
    "Strict",
    "UpdateInput",
    "UpdateKind",
]
