"""Organization profiles and members: the documents made from the validated inputs (the
inputs are the contract's, `shared.contracts.requests.intake`)."""

from __future__ import annotations

import re
from typing import Any

from services.intake.domain.vocabulary import classify
from shared import contracts
from shared.contracts.intake import MemberRole, ResourceKind, Role
from shared.contracts.requests.intake import (
    AdminInput,
    Input,
    LongText,
    MemberInput,
    NetworkInput,
    OrganizationInput,
    OrganizationUpdate,
    ResourceInput,
    ShortText,
    Tag,
    WindowInput,
)
from shared.errors import AppError, ErrorCode
from shared.events import new_id


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


def updated_organization(
    current: contracts.OrganizationProfile, update: OrganizationUpdate
) -> contracts.OrganizationProfile:
    changes = with_focus_codes(update.model_dump(exclude_none=True))
    return contracts.OrganizationProfile(
        **{**current.model_dump(), **changes, "version": current.version + 1}
    )


def archived_organization(current: contracts.OrganizationProfile) -> contracts.OrganizationProfile:
    return current.model_copy(update={"archived": True, "version": current.version + 1})


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


__all__ = [
    "AdminInput",
    "Input",
    "LongText",
    "MemberInput",
    "MemberRole",
    "NetworkInput",
    "OrganizationInput",
    "OrganizationUpdate",
    "ResourceInput",
    "ResourceKind",
    "Role",
    "ShortText",
    "Tag",
    "WindowInput",
    "archived_organization",
    "check_removable",
    "new_member",
    "new_organization",
    "normalized_name",
    "updated_organization",
    "with_focus_codes",
]
