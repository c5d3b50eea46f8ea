"""The updates log's mutation: a partner's member (or the network's operator) posts progress,
a setback or a win. It reaches the other partners live (`partnershipActivity`, kind
`partnership.update_posted`) and in their inbox. Residents answer on the public community
voice pages (services/gateway/web/voice.py), which need no sign-in and so are no GraphQL
operation."""

from __future__ import annotations

import strawberry

from services.gateway.schema.commitments import record
from services.gateway.schema.context import Info
from services.gateway.schema.mapping import build
from services.gateway.schema.voice_types import PartnershipUpdate
from shared.contracts.commitments import UpdateKind


@strawberry.input
class PostPartnershipUpdateInput:
    partnership_id: strawberry.ID
    kind: UpdateKind
    text: str = strawberry.field(description="What happened, in a few sentences (2000 at most).")


@strawberry.type
class VoiceMutation:
    @strawberry.mutation(
        description="Post progress, a setback or a win to a partnership's updates log (its "
        "partners' members and the network's operator). The other partners hear of it at once "
        "(partnershipActivity) and in their inbox; a WIN can then become a milestone "
        "(reachMilestone with its updateId)."
    )
    async def post_partnership_update(
        self, info: Info, input: PostPartnershipUpdateInput
    ) -> PartnershipUpdate:
        caller = await info.context.caller()
        body = {
            "input": {
                "kind": input.kind.value,
                "text": input.text,
                "organization_id": caller.organization_id,
            },
            "member_id": caller.member_id,
        }
        found = await record(info, input.partnership_id, "updates", body)
        return build(PartnershipUpdate, found)


QUERIES: list[type] = []
MUTATIONS: list[type] = [VoiceMutation]
