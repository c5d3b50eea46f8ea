"""GraphQL types and operations served by the matching service: explained partner
suggestions, answers to them, and coalitions that cover a need."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from services.gateway.auth import network_seen, require_network, require_party, require_role
from services.gateway.context import Caller
from services.gateway.schema.context import Info
from services.gateway.schema.enums import MatchDecision, MatchStatus, ResourceKind, Role
from services.gateway.schema.mapping import build
from services.gateway.schema.node import register_node
from services.gateway.schema.relay import Connection, check_page_size, connection
from shared import contracts as c


@strawberry.type
class ScoreComponent:
    name: str
    score: float
    weight: float


@strawberry.type
class MatchParty:
    organization_id: strawberry.ID
    name: str
    answer: MatchDecision | None


@strawberry.type
class Match:
    id: strawberry.ID
    network_id: strawberry.ID
    score: float
    components: list[ScoreComponent]
    reasons: list[str] = strawberry.field(
        description="Plain sentences for the reading organization (the caller's own)."
    )
    status: MatchStatus
    parties: list[MatchParty]
    need_id: strawberry.ID | None
    created_at: datetime
    introduced_by: strawberry.ID | None = strawberry.field(
        default=None,
        description="The network's coordinator (member id) who introduced the pair, or null "
        "when matching suggested it.",
    )
    note: str = strawberry.field(default="", description="The coordinator's introduction note.")

    @strawberry.field(description="The matched organizations (the same as `parties`).")
    def organizations(self) -> list[MatchParty]:
        return self.parties


@strawberry.type
class CoalitionMember:
    organization_id: strawberry.ID
    name: str
    covers: list[ResourceKind] = strawberry.field(
        description="The need's required resource kinds it offers (the need's "
        "`requiredResources` enum)."
    )
    alignment: float


@strawberry.type
class Coalition:
    organizations: list[CoalitionMember]
    score: float = strawberry.field(
        description="0-1: its members' alignment with the need, less for more members, in "
        "proportion to the share of the offered kinds it covers. Coalitions come best first: "
        "fewer uncovered required resources always ranks higher, and the score breaks ties."
    )
    uncovered_resources: list[str] = strawberry.field(
        description="Required resources nobody in it offers, as written in the need."
    )


def match_of(answer: Any, reader: str | None) -> Match:
    """A match (matching's `MatchView`) as `reader` (an organization id) sees it: the reasons
    written for it (for anyone else, the first party's), and each party's answer."""
    match = c.MatchView.model_validate(answer)
    ids = match.organization_ids
    decisions = {organization: a.decision for organization, a in match.answers.items()}
    parties = [build(MatchParty, p, answer=decisions.get(p.organization_id)) for p in match.parties]
    reasons = match.reasons.get(reader if reader in ids else ids[0], [])
    return build(Match, match, reasons=reasons, parties=parties)


def resource_kind(label: str) -> ResourceKind:
    """Matching compares kinds as lowercase labels; intake only stores the enum's values (a
    kind from elsewhere, which intake would have refused, reads as OTHER)."""
    try:
        return ResourceKind(label)
    except ValueError:
        return ResourceKind.OTHER


def coalition_of(answer: Any) -> Coalition:
    coalition = c.Coalition.model_validate(answer)
    members = [
        build(CoalitionMember, m, covers=[resource_kind(k) for k in m.covers])
        for m in coalition.members
    ]
    return build(Coalition, coalition, organizations=members)


def best_first(found: list[Any]) -> list[Coalition]:
    """In matching's order, which is the rank: complete coverage first, then score
    (`services.matching.domain.coalitions.rank`)."""
    return [coalition_of(x) for x in found]


async def fetch_match(info: Info, match_id: str) -> Match:
    caller = await info.context.caller()
    found = await info.context.clients.matching.get(f"/matches/{match_id}")
    match = c.MatchView.model_validate(found)
    require_network(
        caller, network_seen(caller, match.network_id, match.network_ids), "match", match_id
    )
    return match_of(match, caller.organization_id)


register_node("match", Match, fetch_match)


async def require_organization_in_network(info: Info, caller: Caller, organization_id: str) -> None:
    found = await info.context.loaders.each("intake", "/organizations/{}").load(organization_id)
    profile = c.OrganizationProfile.model_validate(found)
    require_network(caller, profile.network_id, "organization", organization_id)


async def matches_of(info: Info, organization_id: str, first: int = 10) -> Connection[Match]:
    """`matches` for one organization; reusable as a field of Organization."""
    caller = await info.context.caller()
    await require_organization_in_network(info, caller, organization_id)
    found = await info.context.clients.matching.get(
        f"/organizations/{organization_id}/matches", {"first": check_page_size(first)}
    )
    return match_connection(found, organization_id)


def match_connection(found: list[Any], reader: str) -> Connection[Match]:
    """Matches as one page (matching answers at most `first`)."""
    matches = [c.MatchView.model_validate(m) for m in found]
    return connection([match_of(m, reader) for m in matches], [m.id for m in matches], False)


async def coalitions_of(info: Info, need_id: str, first: int = 3) -> list[Coalition]:
    """`coalitions` for one need; reusable as a field of Need."""
    caller = await info.context.caller()
    found = await info.context.clients.matching.get(
        f"/needs/{need_id}/coalitions", {"first": min(check_page_size(first), 10)}
    )
    coalitions = c.Coalitions.model_validate(found)
    require_network(caller, coalitions.network_id or "", "need", need_id)
    return best_first(coalitions.coalitions)


async def coalitions_for(info: Info, need: dict[str, Any], first: int = 3) -> list[Coalition]:
    """Coalitions for the need exactly as the caller sees it (a need just reported or
    strengthened, before matching has read its event): the gateway sends the need's profile,
    already checked against the caller's network, and matching answers from its current
    organizations."""
    found = await info.context.clients.matching.post(
        "/coalitions", {"need": need, "first": min(check_page_size(first), 10)}
    )
    return best_first(c.Coalitions.model_validate(found).coalitions)


@strawberry.type
class MatchingQuery:
    @strawberry.field(description="Suggested and accepted partners of an organization, best first.")
    async def matches(
        self, info: Info, organization_id: strawberry.ID, first: int = 10
    ) -> Connection[Match]:
        return await matches_of(info, organization_id, first)

    @strawberry.field(
        description="The fewest aligned organizations that cover a need, and alternatives."
    )
    async def coalitions(
        self, info: Info, need_id: strawberry.ID, first: int = 3
    ) -> list[Coalition]:
        return await coalitions_of(info, need_id, first)


@strawberry.type
class MatchingMutation:
    @strawberry.mutation(description="An admin of a matched organization accepts or declines.")
    async def respond_to_match(
        self, info: Info, match_id: strawberry.ID, decision: MatchDecision, reason: str = ""
    ) -> Match:
        caller = await info.context.caller()
        match = c.MatchView.model_validate(
            await info.context.clients.matching.get(f"/matches/{match_id}")
        )
        network = network_seen(caller, match.network_id, match.network_ids)
        require_party(
            caller, match.organization_ids, network, "match", match_id, operator_allowed=False
        )
        require_role(caller, Role.ORG_ADMIN)
        answered = await info.context.clients.matching.post(
            f"/matches/{match_id}/responses",
            {
                "organization_id": caller.organization_id,
                "decision": decision.value,
                "reason": reason,
            },
            headers=info.context.idempotency_headers(),
        )
        return match_of(answered, caller.organization_id)


QUERIES: list[type] = [MatchingQuery]
MUTATIONS: list[type] = [MatchingMutation]
