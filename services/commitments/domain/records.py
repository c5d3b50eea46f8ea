"""What the use cases make of stored partnerships and commitments: the events' references and
payloads, the check-in cadence, a closed commitment as health sees it, the partnership id of
an accepted match. Pure: documents in, values out."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from services.commitments.domain import health as scoring
from services.commitments.domain.models import CADENCE_DAYS, CheckInCadence, CommitmentStatus
from shared import contracts as c
from shared.mongo import Document

EVENT_OF_STATUS = {
    CommitmentStatus.DONE: "commitment.fulfilled",
    CommitmentStatus.MISSED: "commitment.missed",
    CommitmentStatus.CANCELLED: "commitment.cancelled",
}
# A check-in reported as held this far in the future is a typo, not a plan.
CLOCK_SKEW = timedelta(hours=1)


def ref(p: Document) -> c.PartnershipRef:
    return c.PartnershipRef(
        partnership_id=p["_id"],
        network_id=p["network_id"],
        name=p["name"],
        organization_ids=p["organization_ids"],
        network_ids=p.get("network_ids") or [p["network_id"]],
    )


def cadence_of(p: Document) -> timedelta:
    return timedelta(days=CADENCE_DAYS[CheckInCadence(p["check_in_cadence"])])


def partnership_id_for_match(match_id: str) -> str:
    """One partnership per accepted match: its id follows from the match's."""
    return "ptn_" + hashlib.sha256(match_id.encode()).hexdigest()[:32]


def commitment_event(event_type: str, p: Document, doc: Document) -> c.CommitmentEvent:
    """The event of `event_type` (`commitment.made`, ...) about a commitment: each type has its
    own class, which names its topic."""
    model = c.EVENT_TYPES[event_type]
    assert issubclass(model, c.CommitmentEvent), event_type
    return model(
        partnership=ref(p),
        commitment_id=doc["_id"],
        owner_organization_id=doc["owner_organization_id"],
        title=doc["title"],
        kind=doc["kind"],
        quantity=doc["quantity"],
        unit=doc["unit"],
        due_at=doc["due_at"],
        status=doc["status"],
    )


# What health and reliability count: open and proposed commitments are not closed yet, and a
# declined proposal never was a promise.
NOT_CLOSED = (
    CommitmentStatus.OPEN.value,
    CommitmentStatus.PROPOSED.value,
    CommitmentStatus.DECLINED.value,
)


def is_closed(doc: Document) -> bool:
    return doc["status"] not in NOT_CLOSED


def closed(doc: Document) -> scoring.ClosedCommitment:
    return scoring.ClosedCommitment(doc["status"], doc["due_at"], doc["closed_at"])
