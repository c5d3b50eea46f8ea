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
    input_to_body,
    member_of,
    network_of,
    organization_of,
)
from shared import contracts
from shared.errors import AppError, ErrorCode


async def intake_write(
    info: Info,
    path: str,
    body: Any,
    *,
    credential: str | None = None,
    time_limit: float | None = None,
) -> Any:
    """A POST to intake carrying the caller's idempotency header."""
    headers = info.context.idempotency_headers(credential)
    return await info.context.clients.intake.post(
        path, body, headers=headers, time_limit=time_limit
    )


async def operator_import(info: Info, network_id: str, path: str, body: dict[str, Any]) -> Any:
    """An import the network's operator runs (a survey, a directory): a write to intake with
    the imports' longer time limit."""
    caller = await info.context.caller()
    require_operator(caller, network_id)
    time_limit = info.context.settings.survey_import_timeout_seconds
    return await intake_write(info, path, body, time_limit=time_limit)


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


def without_nulls(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if v is not None}


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
        result = await intake_write(
            info,
            "/organizations",
            {"input": body, "authorized_as_operator": as_operator, "join_code": join_code},
            credential=None if info.context.has_token else f"join:{join_code}",
        )
        registered = contracts.RegisteredOrganization.model_validate(result)
        return RegisterOrganizationPayload(
            organization=organization_of(registered.organization),
            admin_token=registered.admin_token,
        )

    @strawberry.mutation(description="Its org admin changes any profile field.")
    async def update_organization(
        self, info: Info, id: strawberry.ID, input: UpdateOrganizationInput
    ) -> Organization:
        await require_org_admin(info, id)
        body = without_nulls(input_to_body(input))
        result = await intake_write(info, f"/organizations/{id}/profile", {"input": body})
        return organization_of(contracts.OrganizationAnswer.model_validate(result).organization)

    @strawberry.mutation(description="Its org admin or the network's operator archives it.")
    async def archive_organization(self, info: Info, id: strawberry.ID) -> Organization:
        await require_org_admin(info, id, operator_allowed=True)
        result = await intake_write(info, f"/organizations/{id}/archive", {})
        return organization_of(contracts.OrganizationAnswer.model_validate(result).organization)

    @strawberry.mutation(description="Its org admin adds a member; the token is shown once.")
    async def add_member(
        self, info: Info, organization_id: strawberry.ID, input: AddMemberInput
    ) -> AddMemberPayload:
        await require_org_admin(info, organization_id)
        result = await intake_write(
            info, f"/organizations/{organization_id}/members", {"input": input_to_body(input)}
        )
        added = contracts.AddedMember.model_validate(result)
        return AddMemberPayload(member=member_of(added.member), token=added.token)

    @strawberry.mutation(
        description="Its org admin (or the network's operator) removes a member: every token "
        "of theirs stops working at once. The last admin of an organization stays (CONFLICT)."
    )
    async def remove_member(
        self, info: Info, organization_id: strawberry.ID, member_id: strawberry.ID
    ) -> Member:
        caller = await require_org_admin(info, organization_id, operator_allowed=True)
        result = await intake_write(
            info,
            f"/organizations/{organization_id}/members/{member_id}/remove",
            {"removed_by": caller.member_id},
        )
        info.context.forget_member(member_id)
        return member_of(contracts.MemberAnswer.model_validate(result).member)

    @strawberry.mutation(description="The operator replaces the join code; the old one stops.")
    async def rotate_join_code(self, info: Info, network_id: strawberry.ID) -> Network:
        caller = await info.context.caller()
        require_operator(caller, network_id)
        rotated = await intake_write(info, f"/networks/{network_id}/join-code", {})
        return network_of(rotated, show_join_code=True)


QUERIES: list[type] = []
MUTATIONS: list[type] = [IntakeMutation]
