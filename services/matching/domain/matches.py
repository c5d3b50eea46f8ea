"""Match documents, the answer checks and the status an answer leads to (pure: no I/O)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.matching.domain.coalitions import Coalition, coverage
from services.matching.domain.scoring import Suggestion
from shared.contracts import MatchParty, NeedProfile, ScoreComponent
from shared.contracts.matching import MatchDecision, MatchStatus
from shared.errors import AppError, ErrorCode
from shared.events import new_id
from shared.mongo import Document


def pair_key(a: str, b: str) -> str:
    """The key of an unordered pair (a coalition's is `coalition_key`)."""
    return "|".join(sorted((a, b)))


def scored(s: Suggestion) -> dict[str, Any]:
    return {
        "score": s.score,
        "components": [
            {"name": c.name, "score": c.score, "weight": c.weight} for c in s.components
        ],
        "reasons": s.reasons,
    }


def new_match(
    s: Suggestion,
    network_id: str,
    names: dict[str, str],
    now: datetime,
    partner_network_id: str | None = None,
) -> Document:
    """A suggested pair. `network_id` is the network of the organization it was computed for;
    `network_ids` both parties' networks (two when the pair is across a link)."""
    parties = [s.organization_id, s.partner_id]
    return {
        "_id": new_id("match"),
        "pair_key": pair_key(*parties),
        "network_id": network_id,
        "network_ids": sorted({network_id, partner_network_id or network_id}),
        "organization_ids": parties,
        "parties": [{"organization_id": o, "name": names[o]} for o in parties],
        **scored(s),
        "status": MatchStatus.SUGGESTED,
        "answers": {},
        "need_id": None,
        "created_at": now,
        "updated_at": now,
    }


COVERAGE_WEIGHT, ALIGNMENT_WEIGHT = 0.6, 0.4


def coalition_key(need_id: str, organization_ids: list[str]) -> str:
    return "|".join(["need", need_id, *sorted(organization_ids)])


def coalition_match(
    need: NeedProfile, coalition: Coalition, reasons: dict[str, list[str]], now: datetime
) -> Document:
    """A suggestion that several organizations meet a need together (one document per need and
    set of members); every member answers, as for a pair."""
    ids = [m.organization_id for m in coalition.members]
    covered = coverage(need, coalition)
    aligned = sum(m.alignment for m in coalition.members) / len(ids)
    return {
        "_id": new_id("match"),
        "pair_key": coalition_key(need.need_id, ids),
        "network_id": need.network_id,
        "organization_ids": ids,
        "parties": [
            {"organization_id": m.organization_id, "name": m.name} for m in coalition.members
        ],
        "score": round(COVERAGE_WEIGHT * covered + ALIGNMENT_WEIGHT * aligned, 4),
        "components": [
            {"name": "coverage", "score": round(covered, 4), "weight": COVERAGE_WEIGHT},
            {"name": "alignment", "score": round(aligned, 4), "weight": ALIGNMENT_WEIGHT},
        ],
        "reasons": reasons,
        "status": MatchStatus.SUGGESTED,
        "answers": {},
        "need_id": need.need_id,
        "created_at": now,
        "updated_at": now,
    }


def parties(match: Document) -> list[MatchParty]:
    return [MatchParty(**p) for p in match["parties"]]


def components(match: Document) -> list[ScoreComponent]:
    return [ScoreComponent(**c) for c in match["components"]]


def check_answer(match: Document, organization_id: str) -> None:
    """CONFLICT when this party has answered already or the match is settled."""
    if organization_id not in match["organization_ids"]:
        raise AppError(ErrorCode.FORBIDDEN, f"{organization_id} is not a party of {match['_id']}")
    if organization_id in match["answers"] or match["status"] != MatchStatus.SUGGESTED:
        raise AppError(ErrorCode.CONFLICT, f"{organization_id} has already answered {match['_id']}")


def status_after(match: Document, decision: MatchDecision) -> MatchStatus:
    if decision is MatchDecision.DECLINE:
        return MatchStatus.DECLINED
    accepted = {o for o, a in match["answers"].items() if a["decision"] == MatchDecision.ACCEPT}
    return (
        MatchStatus.ACCEPTED
        if accepted >= set(match["organization_ids"])
        else MatchStatus.SUGGESTED
    )


def view(match: Document) -> dict[str, Any]:
    """The internal API's shape (the gateway picks the reader's reasons)."""
    out = {k: v for k, v in match.items() if k not in ("_id", "pair_key")}
    return {"id": match["_id"], **out}
