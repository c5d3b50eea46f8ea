"""Members of an organization: added (or another admin) with a token shown once, removed
with every token of theirs at once; the last admin stays."""

from __future__ import annotations

from services.intake import domain
from services.intake.service.base import Answer, UseCases, archived
from services.intake.tokens import new_token
from shared.contracts import MemberJoined, MemberRef, MemberRemoved
from shared.errors import AppError, ErrorCode, not_found
from shared.idempotency import Answered, no_answer


def email_taken() -> AppError:
    return AppError(
        ErrorCode.CONFLICT,
        "a member with this email already belongs to the network",
        field="input.email",
    )


class Members(UseCases):
    async def add_member(
        self, organization_id: str, data: domain.MemberInput, answered: Answered = no_answer
    ) -> Answer:
        """A member (or another admin) of an organization; their token is shown once. A
        concurrent twin with the same email fails on a unique index (CONFLICT)."""
        organization = await self.store.organization(organization_id)
        if organization is None:
            raise not_found("organization", organization_id)
        if organization.get("archived"):
            raise archived(organization_id)
        network_id = organization["network_id"]
        if await self.store.member_by_email(network_id, data.email) is not None:
            raise email_taken()
        member = domain.new_member(data.name, data.email, domain.Role(data.role.value))
        token = new_token()
        answer = {"member": member.model_dump(mode="json"), "token": token}
        async with self.outbox.transaction() as tx:
            await self.store.add_member(member, network_id, organization_id, token, tx.session)
            await tx.publish(
                "member.joined",
                organization_id,
                MemberJoined(network_id=network_id, organization_id=organization_id, member=member),
            )
            await answered(tx.session, answer)
        return answer

    async def remove_member(
        self,
        organization_id: str,
        member_id: str,
        removed_by: str,
        answered: Answered = no_answer,
    ) -> Answer:
        """Every token of the member stops working at once; the last admin stays."""
        async with self.outbox.transaction() as tx:
            found = await self.store.member(member_id, tx.session)
            if found is None or found["organization_id"] != organization_id:
                raise not_found("member", member_id)
            domain.check_removable(
                found["role"], await self.store.admins_in(organization_id, tx.session)
            )
            await self.store.remove_member(found, tx.session)
            member = MemberRef.model_validate(found)
            await tx.publish(
                "member.removed",
                organization_id,
                MemberRemoved(
                    network_id=found["network_id"],
                    organization_id=organization_id,
                    member=member,
                    removed_by=removed_by,
                ),
            )
            answer = {"member": member.model_dump(mode="json")}
            await answered(tx.session, answer)
        return answer
