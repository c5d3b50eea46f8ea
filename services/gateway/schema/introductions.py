"""The operator's introductions: `proposeIntroduction` makes a match between two organizations
of the operator's network, led by the operator's note; the organizations' admins answer it
with `respondToMatch`, as any suggestion, and a partnership forms when both accept. Another
network's organizations answer NOT_FOUND."""

from __future__ import annotations

import strawberry

from services.gateway.auth import require_role
from services.gateway.schema.context import Info
from services.gateway.schema.enums import Role
from services.gateway.schema.mapping import request
from services.gateway.schema.matching import Match, match_of, require_organization_in_network
from shared.contracts.requests import matching as rq


@strawberry.input
class ProposeIntroductionInput:
    organization_ids: list[strawberry.ID] = strawberry.field(
        description="The two organizations to introduce to each other."
    )
    note: str = strawberry.field(
        description="Why they should meet, in the operator's words: the match's first reason."
    )


@strawberry.type
class IntroductionsMutation:
    @strawberry.mutation(
        description="The network's operator introduces two of its organizations: a SUGGESTED "
        "match whose first reason is the operator's note. A pair already suggested and not yet "
        "answered takes the note; one already answered is a CONFLICT with `existingId`."
    )
    async def propose_introduction(self, info: Info, input: ProposeIntroductionInput) -> Match:
        caller = await info.context.caller()
        for organization_id in input.organization_ids:
            await require_organization_in_network(info, caller, organization_id)
        require_role(caller, Role.OPERATOR)
        loader = info.context.loaders.each(info.context.clients.intake.organization)
        profiles = await loader.load_many(list(input.organization_ids))
        introduction = request(
            rq.Introduce,
            input,
            network_id=caller.network_id,
            introduced_by=caller.member_id,
            names={p.organization_id: p.name for p in profiles},
        )
        found = await info.context.clients.matching.introduce(
            introduction, headers=info.context.idempotency_headers()
        )
        return match_of(found, None)


QUERIES: list[type] = []
MUTATIONS: list[type] = [IntroductionsMutation]
