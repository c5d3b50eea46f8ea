"""GraphQL types and queries served by the intake service (its mutations:
`intake_mutations.py`; needs and surveys: `needs.py`)."""

from __future__ import annotations

import strawberry

from services.gateway.auth import require_member_of, require_network
from services.gateway.schema.context import Info
from services.gateway.schema.enums import ResourceKind, Role
from services.gateway.schema.links import NetworkLink, linked_network_ids, links_of
from services.gateway.schema.mapping import build
from services.gateway.schema.matching import Match, match_connection
from services.gateway.schema.node import register_node
from services.gateway.schema.partnership_types import Partnership, partnerships_of, reliability_of
from services.gateway.schema.relay import (
    Connection,
    check_page_size,
    connection_of,
    page_by_id,
)
from shared import contracts
from shared.errors import AppError, ErrorCode, not_found


@strawberry.type
class Resource:
    kind: ResourceKind
    description: str
    quantity: float | None
    unit: str | None


@strawberry.type
class AvailabilityWindow:
    day: str
    start: str
    end: str


@strawberry.type
class Organization:
    id: strawberry.ID
    network_id: strawberry.ID
    name: str
    mission: str
    focus_areas: list[str] = strawberry.field(
        description="Focus-area codes of the controlled vocabulary (e.g. `mental_health`)."
    )
    free_tags: list[str] = strawberry.field(
        description="Focus-area terms outside the vocabulary, kept as written (normalized)."
    )
    values: list[str]
    offers: list[Resource]
    needs: list[Resource]
    region: str
    time_zone: str
    availability: list[AvailabilityWindow]
    populations_served: list[str]
    virtual_ready: bool
    open_to_other_networks: bool = strawberry.field(
        description="Opted in to collaborations across linked networks: suggested to their "
        "virtual-ready organizations that opted in too, and its public profile visible to "
        "their members while the link is active."
    )
    archived: bool
    # read from a linked network: its public profile only (no matches, no reliability)
    across_link: strawberry.Private[bool] = False

    @strawberry.field(
        description="Suggested and accepted partners, best first (at most 20); empty when read "
        "from a linked network."
    )
    async def matches(self, info: Info, first: int = 10) -> Connection[Match]:
        if self.across_link:
            return match_connection([], self.id)
        # Batched across every organization of the response: one call to matching in all.
        none: list[contracts.MatchView] = []
        fetch = info.context.clients.matching.matches_by_organization
        found = await info.context.loaders.batch(fetch, none).load(self.id)
        return match_connection(found[: check_page_size(first)], self.id)

    @strawberry.field(description="The partnerships it is part of, oldest first.")
    async def partnerships(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[Partnership]:
        found = await partnerships_of(info, self.id)
        return page_by_id(found, first, after)

    @strawberry.field(
        description="Its members, by name: for its admins and its network's operator (null "
        "with FORBIDDEN for anyone else; empty when read from a linked network)."
    )
    async def members(self, info: Info) -> list[Member] | None:
        if self.across_link:
            return []
        caller = await info.context.caller()
        require_member_of(caller, self.id, self.network_id, admin=True, operator_allowed=True)
        found = await info.context.clients.intake.members(self.id)
        return [member_of(m) for m in found.items]

    @strawberry.field(
        description="Follow-through across its partnerships (0-1); null until a commitment closes."
    )
    async def reliability(self, info: Info) -> float | None:
        if self.across_link:
            return None
        return await reliability_of(info, self.id)


@strawberry.type
class Member:
    id: strawberry.ID
    name: str
    email: str
    role: Role


@strawberry.type
class Me:
    member_id: strawberry.ID
    network_id: strawberry.ID
    organization_id: strawberry.ID | None
    role: Role


@strawberry.type
class Network:
    id: strawberry.ID
    name: str
    region: str
    time_zone: str
    join_code: str | None

    @strawberry.field(
        description="Links with other networks, newest proposal first: for its operator (null with "
        "FORBIDDEN for anyone else)."
    )
    async def links(self, info: Info) -> list[NetworkLink] | None:
        return await links_of(info, self.id)


def organization_of(
    profile: contracts.OrganizationProfile, across_link: bool = False
) -> Organization:
    """An organization from intake's profile (the contract fills what an older one lacks);
    `across_link` when read from a linked network (its public profile only)."""
    organization_id = strawberry.ID(profile.organization_id)
    return build(Organization, profile, id=organization_id, across_link=across_link)


def member_of(member: contracts.MemberRef) -> Member:
    return build(Member, member, id=strawberry.ID(member.member_id))


def network_of(network: contracts.NetworkView, show_join_code: bool) -> Network:
    """Intake's network; the join code only for its operator."""
    join_code = network.join_code if show_join_code else None
    return build(Network, network, id=strawberry.ID(network.network_id), join_code=join_code)


@strawberry.input
class ResourceInput:
    kind: ResourceKind
    description: str = ""
    quantity: float | None = None
    unit: str | None = None


@strawberry.input
class AvailabilityInput:
    day: str
    start: str
    end: str


@strawberry.input
class AdminInput:
    name: str
    email: str


@strawberry.input
class RegisterOrganizationInput:
    network_id: strawberry.ID
    name: str
    admin: AdminInput
    mission: str = ""
    focus_areas: list[str] = strawberry.field(default_factory=list)
    values: list[str] = strawberry.field(default_factory=list)
    offers: list[ResourceInput] = strawberry.field(default_factory=list)
    needs: list[ResourceInput] = strawberry.field(default_factory=list)
    region: str = ""
    time_zone: str = "UTC"
    availability: list[AvailabilityInput] = strawberry.field(default_factory=list)
    populations_served: list[str] = strawberry.field(default_factory=list)
    virtual_ready: bool = False
    open_to_other_networks: bool = False
    join_code: str | None = None


@strawberry.type
class IntakeQuery:
    @strawberry.field
    async def me(self, info: Info) -> Me:
        caller = await info.context.caller()
        return Me(
            member_id=strawberry.ID(caller.member_id),
            network_id=strawberry.ID(caller.network_id),
            organization_id=strawberry.ID(caller.organization_id)
            if caller.organization_id
            else None,
            role=caller.role,
        )

    @strawberry.field
    async def network(self, info: Info, id: strawberry.ID) -> Network:
        caller = await info.context.caller()
        if not caller.in_network(id):
            raise AppError(ErrorCode.NOT_FOUND, f"network {id} not found")
        found = await info.context.clients.intake.network(id)
        return network_of(found, show_join_code=caller.role is Role.OPERATOR)

    @strawberry.field
    async def organization(self, info: Info, id: strawberry.ID) -> Organization:
        return await fetch_organization(info, id)

    @strawberry.field(
        description="A network's organizations (archived ones left out), filtered by focus "
        "area (a vocabulary term or free tag), a resource kind they offer, or a search in "
        "name and mission."
    )
    async def organizations(
        self,
        info: Info,
        network_id: strawberry.ID,
        focus_area: str | None = None,
        resource_kind: ResourceKind | None = None,
        search: str | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Organization]:
        caller = await info.context.caller()
        require_network(caller, network_id, "network", network_id)
        page = await info.context.clients.intake.organizations(
            network_id,
            check_page_size(first),
            focus_area=focus_area or None,
            resource_kind=resource_kind.value if resource_kind else None,
            search=search or None,
            after=after,
        )
        return connection_of(page, organization_of, after)


async def fetch_organization(info: Info, organization_id: str) -> Organization:
    """An organization of the caller's network, or the public profile of one that opted in
    to other networks in a network actively linked with the caller's (NOT_FOUND otherwise);
    also `node(id)`. Writes check the caller's own network again (`require_member_of`)."""
    caller = await info.context.caller()
    loader = info.context.loaders.each(info.context.clients.intake.organization)
    profile = await loader.load(organization_id)
    if caller.in_network(profile.network_id):
        return organization_of(profile)
    shown = profile.open_to_other_networks and not profile.archived
    if shown and profile.network_id in await linked_network_ids(info, caller.network_id):
        return organization_of(profile, across_link=True)
    raise not_found("organization", organization_id)


register_node("org", Organization, fetch_organization)


QUERIES: list[type] = [IntakeQuery]
