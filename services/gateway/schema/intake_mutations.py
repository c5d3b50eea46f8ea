"""Mutations served by the intake service: organizations, members, the join code.

Every write passes the client's `Idempotency-Key` on (per caller, see
`GatewayContext.idempotency_headers`): intake stores the first answer with the write and
answers it again for the same key, writing nothing new."""

from __future__ import annotations

from typing import Any

import strawberry

from services.gateway.auth import require_member_of, require_operator
from services.gateway.context import Caller
from services.gateway.schema.context import Info
from services.gateway.schema.enums import MemberRole
from services.gateway.schema.intake import (
    AvailabilityInput,
    Member,
    Network,
    Organization,
    RegisterOrganizationInput,
    ResourceInput,
    fetch_organization,
    member_of,
    network_of,
    organization_of,
)
from services.gateway.schema.mapping import request
from shared.contracts.requests import intake as rq
from shared.errors import AppError, ErrorCode


async def operator_import(info: Info, network_id: str) -> dict[str, Any]:
    """What an import the network's operator runs (a survey, a directory) is sent with: the
    caller's idempotency header and the imports' longer time limit."""
    caller = await info.context.caller()
    require_operator(caller, network_id)
    return {
        "headers": info.context.idempotency_headers(),
        "time_limit": info.context.settings.survey_import_timeout_seconds,
    }


async def require_org_admin(
    info: Info, organization_id: str, *, operator_allowed: bool = False
) -> Caller:
    """The caller, an admin of the organization (or, when allowed, its network's operator);
    NOT_FOUND for another network's organization."""
    caller = await info.context.caller()
    organization = await fetch_organization(info, organization_id)
    require_member_of(
        caller, organization_id, organization.network_id, admin=True,
        operator_allowed=operator_allowed,
    )  # fmt: skip
    return caller


@strawberry.input(description="Only the fields sent change; a list sent replaces the list.")
class UpdateOrganizationInput:
    name: str | None = None
    mission: str | None = None
    focus_areas: list[str] | None = None
    values: list[str] | None = None
    offers: list[ResourceInput] | None = None
    needs: list[ResourceInput] | None = None
    region: str | None = None
    time_zone: str | None = None
    availability: list[AvailabilityInput] | None = None
    populations_served: list[str] | None = None
    virtual_ready: bool | None = None
    open_to_other_networks: bool | None = None


@strawberry.input
class AddMemberInput:
    name: str
    email: str
    role: MemberRole = MemberRole.MEMBER


@strawberry.type
class RegisterOrganizationPayload:
    organization: Organization
    admin_token: str


@strawberry.type
class AddMemberPayload:
    member: Member
    token: str = strawberry.field(description="Shown only this once; stored hashed.")


@strawberry.type
class IntakeMutation:
    @strawberry.mutation
    async def register_organization(
        self, info: Info, input: RegisterOrganizationInput
    ) -> RegisterOrganizationPayload:
        join_code = input.join_code
        as_operator = False
        if info.context.has_token:
            caller = await info.context.caller()
            as_operator = caller.is_operator and caller.in_network(input.network_id)
        elif not join_code:
            raise AppError(
                ErrorCode.UNAUTHENTICATED, "an operator token or the network's joinCode is required"
            )
        registration = request(
            rq.RegisterOrganization,
            input=input,
            authorized_as_operator=as_operator,
            join_code=join_code,
        )
        credential = None if info.context.has_token else f"join:{join_code}"
        registered = await info.context.clients.intake.register_organization(
            registration, headers=info.context.idempotency_headers(credential)
        )
        return RegisterOrganizationPayload(
            organization=organization_of(registered.organization),
            admin_token=registered.admin_token,
        )

    @strawberry.mutation(description="Its org admin changes any profile field.")
    async def update_organization(
        self, info: Info, id: strawberry.ID, input: UpdateOrganizationInput
    ) -> Organization:
        await require_org_admin(info, id)
        changes = request(rq.UpdateOrganization, input=input)
        result = await info.context.clients.intake.update_organization(
            id, changes, headers=info.context.idempotency_headers()
        )
        return organization_of(result.organization)

    @strawberry.mutation(description="Its org admin or the network's operator archives it.")
    async def archive_organization(self, info: Info, id: strawberry.ID) -> Organization:
        await require_org_admin(info, id, operator_allowed=True)
        result = await info.context.clients.intake.archive_organization(
            id, headers=info.context.idempotency_headers()
        )
        return organization_of(result.organization)

    @strawberry.mutation(description="Its org admin adds a member; the token is shown once.")
    async def add_member(
        self, info: Info, organization_id: strawberry.ID, input: AddMemberInput
    ) -> AddMemberPayload:
        await require_org_admin(info, organization_id)
        added = await info.context.clients.intake.add_member(
            organization_id,
            request(rq.AddMember, input=input),
            headers=info.context.idempotency_headers(),
        )
        return AddMemberPayload(member=member_of(added.member), token=added.token)

    @strawberry.mutation(
        description="Its org admin (or the network's operator) removes a member: every token "
        "of theirs stops working at once. The last admin of an organization stays (CONFLICT)."
    )
    async def remove_member(
        self, info: Info, organization_id: strawberry.ID, member_id: strawberry.ID
    ) -> Member:
        caller = await require_org_admin(info, organization_id, operator_allowed=True)
        result = await info.context.clients.intake.remove_member(
            organization_id,
            member_id,
            rq.RemoveMember(removed_by=caller.member_id),
            headers=info.context.idempotency_headers(),
        )
        info.context.forget_member(member_id)
        return member_of(result.member)

    @strawberry.mutation(description="The operator replaces the join code; the old one stops.")
    async def rotate_join_code(self, info: Info, network_id: strawberry.ID) -> Network:
        caller = await info.context.caller()
        require_operator(caller, network_id)
        rotated = await info.context.clients.intake.rotate_join_code(
            network_id, headers=info.context.idempotency_headers()
        )
        return network_of(rotated, show_join_code=True)


QUERIES: list[type] = []
MUTATIONS: list[type] = [IntakeMutation]
