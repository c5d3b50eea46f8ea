"""Which changes are allowed, and the roles partners start with."""

from __future__ import annotations

from datetime import datetime

from services.commitments.domain.models import CommitmentStatus, PartnershipStatus
from shared.contracts import PartnershipRole
from shared.errors import AppError, ErrorCode, bad_input

PARTNERSHIP_MOVES: dict[PartnershipStatus, set[PartnershipStatus]] = {
    PartnershipStatus.FORMING: {PartnershipStatus.ACTIVE, PartnershipStatus.CLOSED},
    PartnershipStatus.ACTIVE: {PartnershipStatus.PAUSED, PartnershipStatus.CLOSED},
    PartnershipStatus.PAUSED: {PartnershipStatus.ACTIVE, PartnershipStatus.CLOSED},
    PartnershipStatus.CLOSED: set(),
}


def check_partnership_move(current: PartnershipStatus, new: PartnershipStatus) -> None:
    if new not in PARTNERSHIP_MOVES[current]:
        raise AppError(
            ErrorCode.CONFLICT,
            f"a {current.value} partnership cannot become {new.value}",
            field="status",
        )


def check_open(status: PartnershipStatus) -> None:
    """Work is recorded only while a partnership runs."""
    if status is PartnershipStatus.CLOSED:
        raise AppError(ErrorCode.CONFLICT, "the partnership is closed")


CLOSING = {CommitmentStatus.DONE, CommitmentStatus.MISSED, CommitmentStatus.CANCELLED}


def check_commitment_move(current: CommitmentStatus, new: CommitmentStatus) -> None:
    if current is CommitmentStatus.PROPOSED:
        raise AppError(
            ErrorCode.CONFLICT,
            "the commitment is proposed: its owner organization accepts it first",
        )
    if current is not CommitmentStatus.OPEN:
        raise AppError(
            ErrorCode.CONFLICT, f"the commitment is already {current.value}; it cannot change"
        )
    if new not in CLOSING:
        raise bad_input("status", "a commitment can move to done, missed or cancelled")


def initial_status(owner_organization_id: str, by_organization_id: str | None) -> CommitmentStatus:
    """Consent where another's record is at stake: a commitment a partner makes for another
    organization is only proposed until that organization accepts it. One made for the maker's
    own organization, or recorded by the network's operator (no organization of its own, who
    records what partners agreed), is open at once."""
    if by_organization_id is None or by_organization_id == owner_organization_id:
        return CommitmentStatus.OPEN
    return CommitmentStatus.PROPOSED


def check_answer(status: CommitmentStatus, owner_organization_id: str, answering: str) -> None:
    """Only the owner organization answers a proposal, and only once."""
    if answering != owner_organization_id:
        raise AppError(
            ErrorCode.FORBIDDEN, "only a member of the owner organization answers a proposal"
        )
    if status is not CommitmentStatus.PROPOSED:
        raise AppError(
            ErrorCode.CONFLICT, f"the commitment is {status.value}, not proposed; nothing to answer"
        )


def check_due_in_future(due_at: datetime, now: datetime) -> None:
    if due_at <= now:
        raise bad_input("input.due_at", "the due date must be in the future")


def check_partner(organization_id: str, organization_ids: list[str], field: str) -> None:
    if organization_id not in organization_ids:
        raise bad_input(field, f"{organization_id} is not a partner in this partnership")


# What an organization that offers a kind of resource usually takes on.
LEADS: dict[str, tuple[str, str]] = {
    "funding": ("Funding lead", "Handles funding and tracks spending"),
    "outreach": ("Outreach lead", "Leads outreach to the community"),
    "volunteers": ("Volunteer coordinator", "Recruits and coordinates volunteers"),
    "venue": ("Host", "Hosts activities at its venue"),
    "expertise": ("Subject expert", "Brings expertise and advises on the approach"),
    "materials": ("Materials lead", "Supplies the materials"),
    "transport": ("Logistics lead", "Arranges transport"),
    "counseling": ("Counseling lead", "Provides counseling to participants"),
    "mentoring": ("Mentoring lead", "Leads mentoring"),
    "other": ("Contributor", "Contributes its other resources"),
}


def suggested_roles(
    offers: dict[str, list[str]], organization_ids: list[str]
) -> list[PartnershipRole]:
    """Clear roles from each partner's strengths: the outreach organization leads outreach, the
    funder handles funding. A partner with no known offers gets a neutral role to edit."""
    roles = []
    for organization_id in organization_ids:
        kinds = [k for k in dict.fromkeys(offers.get(organization_id, [])) if k in LEADS]
        title = LEADS[kinds[0]][0] if kinds else "Partner"
        duties = [LEADS[k][1] for k in kinds] or ["Agree its responsibilities with the partners"]
        roles.append(
            PartnershipRole(
                organization_id=organization_id,
                title=title,
                responsibilities=duties,
                suggested=True,
            )
        )
    return roles


def status_after_work(current: PartnershipStatus) -> PartnershipStatus:
    """The first piece of real work makes a forming partnership active."""
    return PartnershipStatus.ACTIVE if current is PartnershipStatus.FORMING else current
