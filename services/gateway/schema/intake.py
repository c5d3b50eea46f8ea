"""GraphQL types and queries served by the intake service (its mutations:
`intake_mutations.py`; needs and surveys: `needs.py`)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

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
    network_page_params,
    page_by_id,
)
from shared import contracts
from shared.contracts.page import Edge, Page
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
        loader = info.context.loaders.batch("matching", "/matches/by-organization", default=[])
        found: list[Any] = await loader.load(self.id)
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
        found = await info.context.clients.intake.get(f"/organizations/{self.id}/members")
        return [member_of(m) for m in Page[contracts.MemberRef].model_validate(found).items]

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


def organization_of(answer: Any, across_link: bool = False) -> Organization:
    """An organization from intake's profile (the contract fills what an older one lacks);
    `across_link` when read from a linked network (its public profile only)."""
    profile = contracts.OrganizationProfile.model_validate(answer)
    organization_id = strawberry.ID(profile.organization_id)
    return build(Organization, profile, id=organization_id, across_link=across_link)


def member_of(answer: Any) -> Member:
    member = contracts.MemberRef.model_validate(answer)
    return build(Member, member, id=strawberry.ID(member.member_id))


def network_of(answer: Any, show_join_code: bool) -> Network:
    """Intake's network; the join code only for its operator."""
    network = contracts.NetworkView.model_validate(answer)
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


def input_to_body(value: Any) -> Any:
    """Strawberry input objects to the snake_case JSON the services take."""
    if isinstance(value, list):
        return [input_to_body(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "__strawberry_definition__"):
        return {k: input_to_body(v) for k, v in vars(value).items()}
    return value


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
        found = await info.context.clients.intake.get(f"/networks/{id}")
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
        params = network_page_params(
            network_id,
            first,
            focus_area=focus_area,
            resource_kind=resource_kind.value if resource_kind else None,
            search=search,
            after=after,
        )
        found = await info.context.clients.intake.get("/organizations", params)
        page = Page[Edge[contracts.OrganizationProfile]].model_validate(found)
        return connection_of(page, organization_of, after)


async def fetch_organization(info: Info, organization_id: str) -> Organization:
    """An organization of the caller's network, or the public profile of one that opted in
    to other networks in a network actively linked with the caller's (NOT_FOUND otherwise);
    also `node(id)`. Writes check the caller's own network again (`require_member_of`)."""
    caller = await info.context.caller()
    found = await info.context.loaders.each("intake", "/organizations/{}").load(organization_id)
    profile = contracts.OrganizationProfile.model_validate(found)
    if caller.in_network(profile.network_id):
        return organization_of(profile)
    shown = profile.open_to_other_networks and not profile.archived
    if shown and profile.network_id in await linked_network_ids(info, caller.network_id):
        return organization_of(profile, across_link=True)
    raise not_found("organization", organization_id)


register_node("org", Organization, fetch_organization)


QUERIES: list[type] = [IntakeQuery]
