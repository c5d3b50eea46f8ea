"""An operator's introduction: a match between two organizations that the network's operator
proposes, with a note, instead of the scores choosing it. The organizations answer it like any
suggestion. Pure: the checks and the match document."""

from __future__ import annotations

from datetime import datetime

from services.matching.domain.matches import pair_key
from services.matching.domain.scoring import Suggestion
from shared.contracts.matching import MatchStatus
from shared.errors import AppError, ErrorCode, bad_input
from shared.events import new_id
from shared.mongo import Document

FIELD = "input.organizationIds"


def check_parties(
    organization_ids: list[str], profiles: dict[str, Document], network_id: str
) -> None:
    """Two different organizations of this network, neither archived. One matching has not
    heard of yet (its registration is on its way) passes: the caller read it in intake."""
    if len(organization_ids) != 2 or organization_ids[0] == organization_ids[1]:
        raise bad_input(FIELD, "an introduction is between two different organizations")
    for i, org in enumerate(organization_ids):
        known = profiles.get(org)
        if known is not None and (known["network_id"] != network_id or known.get("archived")):
            raise bad_input(f"{FIELD}[{i}]", f"{org} cannot be introduced in this network")


def note_reason(note: str) -> str:
    return f"Introduced by your network's coordinator: {note}"


def introduction(
    suggestion: Suggestion | None,
    network_id: str,
    organization_ids: list[str],
    names: dict[str, str],
    note: str,
    introduced_by: str,
    now: datetime,
) -> Document:
    """The match document: the pair's score and reasons when matching can score it, led by the
    operator's note."""
    a, b = organization_ids
    scored = suggestion.reasons if suggestion else {}
    return {
        "_id": new_id("match"),
        "pair_key": pair_key(a, b),
        "network_id": network_id,
        "organization_ids": [a, b],
        "parties": [{"organization_id": o, "name": names[o]} for o in (a, b)],
        "score": suggestion.score if suggestion else 0.0,
        "components": [
            {"name": c.name, "score": c.score, "weight": c.weight}
            for c in (suggestion.components if suggestion else [])
        ],
        "reasons": {o: [note_reason(note), *scored.get(o, [])] for o in (a, b)},
        "status": MatchStatus.SUGGESTED,
        "answers": {},
        "need_id": None,
        "note": note,
        "introduced_by": introduced_by,
        "created_at": now,
        "updated_at": now,
    }


def introduce_existing(existing: Document, note: str, introduced_by: str) -> Document:
    """The pair was suggested already: while nobody answered, the operator's note leads its
    reasons; once answered (or settled) it is a CONFLICT naming it."""
    if existing["status"] != MatchStatus.SUGGESTED or existing["answers"]:
        raise AppError(
            ErrorCode.CONFLICT,
            f"these organizations already have match {existing['_id']} ({existing['status']})",
            field=FIELD,
            details={"existingId": existing["_id"]},
        )
    reasons = {
        o: [note_reason(note), *[r for r in rs if not r.startswith(note_reason(""))]]
        for o, rs in existing["reasons"].items()
    }
    return {"reasons": reasons, "note": note, "introduced_by": introduced_by}


def keep_note(existing: Document, refreshed: Document) -> Document:
    """Fresh scores for an introduced pair keep the operator's note first among its reasons."""
    if not existing.get("note"):
        return refreshed
    lead = note_reason(existing["note"])
    reasons = {o: [lead, *rs] for o, rs in refreshed["reasons"].items()}
    return {**refreshed, "reasons": reasons}
