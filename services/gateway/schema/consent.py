"""Consent where another organization's record is at stake: a commitment a partner makes for
another organization is `PROPOSED`, counts for nothing, and waits for a member of that
organization to accept it (it is `OPEN` from then on) or decline it (`DECLINED`). The operator
cannot answer for an organization. Ids from another network answer NOT_FOUND."""

from __future__ import annotations

import strawberry

from services.gateway.schema.commitments import fetch_commitment, writing
from services.gateway.schema.context import Info
from services.gateway.schema.mapping import build, request
from services.gateway.schema.partnership_types import Commitment
from shared.contracts.requests import commitments as rq
from shared.errors import AppError, ErrorCode


async def answer(info: Info, commitment_id: str, accept: bool, note: str) -> Commitment:
    current = await fetch_commitment(info, commitment_id)
    caller = await info.context.caller()
    if caller.organization_id != current.owner_organization_id:
        raise AppError(
            ErrorCode.FORBIDDEN, "only a member of the owner organization answers a proposal"
        )
    answered = request(
        rq.CommitmentAnswer, accept=accept, organization_id=caller.organization_id, note=note
    )
    commitments = info.context.clients.commitments
    return build(
        Commitment,
        await commitments.answer_commitment(commitment_id, answered, headers=writing(info)),
    )


@strawberry.type
class ConsentMutation:
    @strawberry.mutation(
        description="A member of the owner organization accepts a PROPOSED commitment: it is "
        "OPEN and counts towards health and reliability from then on."
    )
    async def accept_commitment(self, info: Info, id: strawberry.ID, note: str = "") -> Commitment:
        return await answer(info, id, True, note)

    @strawberry.mutation(
        description="A member of the owner organization declines a PROPOSED commitment: it is "
        "DECLINED and never counts."
    )
    async def decline_commitment(self, info: Info, id: strawberry.ID, note: str = "") -> Commitment:
        return await answer(info, id, False, note)


QUERIES: list[type] = []
MUTATIONS: list[type] = [ConsentMutation]
