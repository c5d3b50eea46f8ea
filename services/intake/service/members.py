"""Members of an organization: added (or another admin) with a token shown once, removed
with every token of theirs at once; the last admin stays. Tokens resolved to their holder."""

from __future__ import annotations

from services.intake import domain
from services.intake.service.base import UseCases, archived
from services.intake.service.unit_of_work import IntakeUnitOfWork
from services.intake.tokens import new_token, token_hash
from shared.clock import Clock
from shared.contracts import MemberJoined, MemberRef, MemberRemoved
from shared.contracts.intake import AddedMember, MemberAnswer, TokenHolder
from shared.errors import AppError, ErrorCode, not_found
from shared.mongo import Document


def email_taken() -> AppError:
    return AppError(
        ErrorCode.CONFLICT,
        "a member with this email already belongs to the network",
        field="input.email",
    )


def session_ended(token: Document, wall_clock: Clock) -> bool:
    """A session token (from a sign-in link) past its end, by the wall clock as its lifetime
    is (services/intake/service/sessions.py); API tokens do not expire."""
    ends = token.get("expires_at")
    return ends is not None and ends <= wall_clock.now()


class Members(UseCases):
    async def add_member(
        self, organization_id: str, data: domain.MemberInput, uow: IntakeUnitOfWork
    ) -> AddedMember:
        """A member (or another admin) of an organization; their token is shown once. A
        concurrent twin with the same email fails on a unique index (CONFLICT)."""
        organization = await uow.organizations.get(organization_id)
        if organization is None:
            raise not_found("organization", organization_id)
        if organization.get("archived"):
            raise archived(organization_id)
        network_id = organization["network_id"]
        if await uow.members.by_email(network_id, data.email) is not None:
            raise email_taken()
        member = domain.new_member(data.name, data.email, domain.Role(data.role.value))
        answer = AddedMember(member=member, token=new_token())
        async with uow:
            await uow.members.add(member, network_id, organization_id, answer.token)
            joined = MemberJoined(
                network_id=network_id, organization_id=organization_id, member=member
            )
            await uow.publish(joined, organization_id)
            await uow.answer(answer)
        return answer

    async def remove_member(
        self, organization_id: str, member_id: str, removed_by: str, uow: IntakeUnitOfWork
    ) -> MemberAnswer:
        """Every token of the member stops working at once; the last admin stays."""
        async with uow:
            found = await uow.members.get(member_id)
            if found is None or found["organization_id"] != organization_id:
                raise not_found("member", member_id)
            domain.check_removable(found["role"], await uow.members.admins_in(organization_id))
            await uow.members.remove(found)
            member = MemberRef.model_validate(found)
            removed = MemberRemoved(
                network_id=found["network_id"],
                organization_id=organization_id,
                member=member,
                removed_by=removed_by,
            )
            await uow.publish(removed, organization_id)
            answer = MemberAnswer(member=member)
            await uow.answer(answer)
        return answer

    async def members(self, organization_id: str, uow: IntakeUnitOfWork) -> list[MemberRef]:
        """The organization's members, by name (the gateway has checked who may read them)."""
        if await uow.organizations.get(organization_id) is None:
            raise not_found("organization", organization_id)
        return [
            MemberRef.model_validate(m) for m in await uow.members.of_organization(organization_id)
        ]

    async def token_holder(self, token: str, uow: IntakeUnitOfWork) -> TokenHolder:
        """Who holds a bearer token; UNAUTHENTICATED when it is unknown or revoked."""
        found = await uow.members.token_holder(token_hash(token))
        if found is None or session_ended(found, self.wall_clock):
            raise AppError(ErrorCode.UNAUTHENTICATED, "unknown or revoked token")
        return TokenHolder(
            member_id=found["member_id"],
            network_id=found["network_id"],
            organization_id=found.get("organization_id"),
            role=found["role"],
        )
