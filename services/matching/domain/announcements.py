"""How a refresh's new suggestions are announced (pure: no I/O): one `matches.suggested` for the
organization they were computed for, listing every new partner, and for each partner where the
organization now stands among that partner's own open suggestions, so notifications can tell
the partner at once only when the newcomer is among its best few."""

from __future__ import annotations

from shared.contracts import MatchesSuggested, SuggestedPartner
from shared.mongo import Document


def partner_rank(score: float, partner_scores: list[float]) -> int:
    """1 + how many of the partner's open suggestions score at least `score`: a tie goes to
    the suggestion the partner already had, so a newcomer no better than those is not news."""
    return 1 + sum(1 for s in partner_scores if s >= score)


def partners_of(organization_id: str, matches: list[Document]) -> list[str]:
    return [o for m in matches for o in m["organization_ids"] if o != organization_id]


def suggestions_made(
    organization_id: str,
    name: str,
    network_id: str,
    new: list[Document],
    partner_scores: dict[str, list[float]],
) -> MatchesSuggested:
    """The event for `new` pair matches of `organization_id`, best first; `partner_scores`:
    each partner's open suggestions' scores, without these new ones."""
    partners = []
    for match in sorted(new, key=lambda m: -m["score"]):
        [partner] = partners_of(organization_id, [match])
        party = next(p for p in match["parties"] if p["organization_id"] == partner)
        networks = match.get("network_ids") or [match["network_id"]]
        partners.append(
            SuggestedPartner(
                match_id=match["_id"],
                organization_id=partner,
                name=party["name"],
                network_id=next((n for n in networks if n != network_id), network_id),
                score=match["score"],
                reasons=match["reasons"].get(organization_id, []),
                partner_reasons=match["reasons"].get(partner, []),
                partner_rank=partner_rank(match["score"], partner_scores.get(partner, [])),
            )
        )
    return MatchesSuggested(
        organization_id=organization_id, name=name, network_id=network_id, suggestions=partners
    )
