"""GraphQL types and operations served by the intake service."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from services.gateway.context import Role as CallerRole
from services.gateway.schema.context import Info
from shared.contracts.intake import ResourceKind
from shared.errors import AppError, ErrorCode


@strawberry.enum
class Role(Enum):
    OPERATOR = "OPERATOR"
    ORG_ADMIN = "ORG_ADMIN"
    MEMBER = "MEMBER"


strawberry.enum(ResourceKind)  # the contract's list, exposed as a GraphQL enum


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
    focus_areas: list[str]
    values: list[str]
    offers: list[Resource]
    needs: list[Resource]
    region: str
    time_zone: str
    availability: list[AvailabilityWindow]
    populations_served: list[str]
    virtual_ready: bool

    @classmethod
    def from_profile(cls, p: dict[str, Any]) -> Organization:
        def resources(items: list[dict[str, Any]]) -> list[Resource]:
            return [
                Resource(
                    kind=ResourceKind(r["kind"]),
                    description=r.get("description", ""),
                    quantity=r.get("quantity"),
                    unit=r.get("unit"),
                )
                for r in items
            ]

        return cls(
            id=strawberry.ID(p["organization_id"]),
            network_id=strawberry.ID(p["network_id"]),
            name=p["name"],
            mission=p.get("mission", ""),
            focus_areas=p.get("focus_areas", []),
            values=p.get("values", []),
            offers=resources(p.get("offers", [])),
            needs=resources(p.get("needs", [])),
            region=p.get("region", ""),
            time_zone=p.get("time_zone", "UTC"),
            availability=[AvailabilityWindow(**w) for w in p.get("availability", [])],
            populations_served=p.get("populations_served", []),
            virtual_ready=p.get("virtual_ready", False),
        )


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
    join_code: str | None = None


@strawberry.type
class RegisterOrganizationPayload:
    organization: Organization
    admin_token: str


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
            role=Role(caller.role.value),
        )

    @strawberry.field
    async def network(self, info: Info, id: strawberry.ID) -> Network:
        caller = await info.context.caller()
        if not caller.in_network(id):
            raise AppError(ErrorCode.NOT_FOUND, f"network {id} not found")
        found = await info.context.clients.intake.get(f"/networks/{id}")
        return Network(
            id=strawberry.ID(found["networkId"]),
            name=found["name"],
            region=found["region"],
            time_zone=found["timeZone"],
            join_code=found["joinCode"] if caller.role is CallerRole.OPERATOR else None,
        )

    @strawberry.field
    async def organization(self, info: Info, id: strawberry.ID) -> Organization:
        caller = await info.context.caller()
        found = await info.context.clients.intake.get(f"/organizations/{id}")
        if not caller.in_network(found["network_id"]):
            raise AppError(ErrorCode.NOT_FOUND, f"organization {id} not found")
        return Organization.from_profile(found)


@strawberry.type
class IntakeMutation:
    @strawberry.mutation
    async def register_organization(
        self, info: Info, input: RegisterOrganizationInput
    ) -> RegisterOrganizationPayload:
        body = input_to_body(input)
        join_code = body.pop("join_code")
        as_operator = False
        if info.context.has_token:
            caller = await info.context.caller()
            as_operator = caller.is_operator and caller.in_network(input.network_id)
        elif not join_code:
            raise AppError(
                ErrorCode.UNAUTHENTICATED, "an operator token or the network's joinCode is required"
            )
        result = await info.context.clients.intake.post(
            "/organizations",
            {"input": body, "authorized_as_operator": as_operator, "join_code": join_code},
        )
        return RegisterOrganizationPayload(
            organization=Organization.from_profile(result["organization"]),
            admin_token=result["adminToken"],
        )


QUERIES: list[type] = [IntakeQuery]
MUTATIONS: list[type] = [IntakeMutation]
