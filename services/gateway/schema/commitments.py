"""GraphQL operations served by the commitments service: forming and running partnerships.

Who may do what: the parties' members record work in their partnership (the network's operator
too); only the owner organization closes a commitment; forming a partnership takes an admin of
one of the organizations, or the operator. Ids from another network answer NOT_FOUND. Every
write passes the client's `Idempotency-Key` on, as intake's do: a retry records nothing twice."""

from __future__ import annotations

from datetime import datetime

import strawberry

from services.gateway.auth import network_seen, require_network, require_party, require_role
from services.gateway.context import Caller
from services.gateway.schema.context import Info
from services.gateway.schema.enums import (
    CheckInCadence,
    CommitmentStatus,
    ContributionKind,
    PartnershipStatus,
    Role,
)
from services.gateway.schema.mapping import build, including, request
from services.gateway.schema.matching import require_organization_in_network
from services.gateway.schema.node import register_node
from services.gateway.schema.partnership_types import (
    CheckIn,
    Commitment,
    Contribution,
    Feedback,
    Milestone,
    Partnership,
    partnerships_of,
)
from services.gateway.schema.relay import (
    Connection,
    check_page_size,
    connection_of,
    page_by_id,
)
from shared import contracts as c
from shared.contracts.requests import commitments as rq
from shared.errors import AppError, ErrorCode, not_found


async def partnership_view(info: Info, partnership_id: str) -> tuple[Caller, c.PartnershipView]:
    """The partnership, if the caller is one of its parties or the network's operator."""
    caller = await info.context.caller()
    # A missing partnership raises its NOT_FOUND from the loader.
    p = await info.context.loaders.each(info.context.clients.commitments.partnership).load(
        partnership_id
    )
    network = network_seen(caller, p.network_id, p.network_ids)
    require_party(caller, p.organization_ids, network, "partnership", partnership_id)
    return caller, p


async def fetch_partnership(info: Info, partnership_id: str) -> Partnership:
    _, p = await partnership_view(info, partnership_id)
    return build(Partnership, p)


async def fetch_commitment(info: Info, commitment_id: str) -> Commitment:
    await info.context.caller()  # unauthenticated before anything is read
    commitment = await info.context.clients.commitments.commitment(commitment_id)
    try:  # its partnership's readers (NOT_FOUND for anyone of another network)
        await partnership_view(info, commitment.partnership_id)
    except AppError as exc:
        if exc.code is ErrorCode.NOT_FOUND:
            raise not_found("commitment", commitment_id) from None
        raise
    return build(Commitment, commitment)


register_node("ptn", Partnership, fetch_partnership)
register_node("cmt", Commitment, fetch_commitment)


async def need_in_network(info: Info, caller: Caller, need_id: str) -> None:
    """NOT_FOUND unless the need is one of the caller's network's."""
    need = await info.context.loaders.each(info.context.clients.intake.need).load(need_id)
    require_network(caller, need.network_id, "need", need_id)


@strawberry.input
class FormPartnershipInput:
    name: str
    organization_ids: list[strawberry.ID]
    goals: list[str] = strawberry.field(default_factory=list)
    check_in_cadence: CheckInCadence = CheckInCadence.BIWEEKLY
    time_zone: str = "UTC"
    need_id: strawberry.ID | None = None


@strawberry.input(
    description="What the partners settle after formation; a field left out (or null) stays."
)
class UpdatePartnershipInput:
    name: str | None = None
    goals: list[str] | None = None
    check_in_cadence: CheckInCadence | None = None
    need_id: strawberry.ID | None = strawberry.field(
        default=None, description="The community need it takes up (of its network)."
    )


@strawberry.input
class MakeCommitmentInput:
    partnership_id: strawberry.ID
    owner_organization_id: strawberry.ID
    title: str
    due_at: datetime
    kind: str = ""
    quantity: float | None = None
    unit: str | None = None


@strawberry.input
class RecordCheckInInput:
    partnership_id: strawberry.ID
    held_at: datetime
    attendees: list[str] = strawberry.field(default_factory=list)
    updates: list[str] = strawberry.field(default_factory=list)
    wins: list[str] = strawberry.field(default_factory=list)
    blockers: list[str] = strawberry.field(default_factory=list)


@strawberry.input
class ReachMilestoneInput:
    partnership_id: strawberry.ID
    title: str
    note: str = ""
    update_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="A WIN of the partnership's updates log this milestone records (once: "
        "CONFLICT for a win already recorded; BAD_USER_INPUT for another kind of update).",
    )


@strawberry.input
class LogContributionInput:
    partnership_id: strawberry.ID
    organization_id: strawberry.ID
    kind: ContributionKind
    quantity: float
    unit: str
    estimated_value: float = 0.0
    note: str = ""


@strawberry.input
class SubmitFeedbackInput:
    partnership_id: strawberry.ID
    rating: int
    comment: str = ""
    participants_reached: int = 0


@strawberry.type
class CommitmentsQuery:
    @strawberry.field(description="A partnership the caller is part of (operators: any).")
    async def partnership(self, info: Info, id: strawberry.ID) -> Partnership:
        return await fetch_partnership(info, id)

    @strawberry.field(
        description="Partnerships in a network; members see their organization's only."
    )
    async def partnerships(
        self,
        info: Info,
        network_id: strawberry.ID,
        status: PartnershipStatus | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Partnership]:
        caller = await info.context.caller()
        require_network(caller, network_id, "network", network_id)
        if not caller.is_operator:
            mine = await partnerships_of(info, caller.organization_id or "")
            items = [p for p in mine if status is None or p.status is status]
            return page_by_id(items, first, after)
        page = await info.context.clients.commitments.partnerships(
            network_id, check_page_size(first), status=status, after=after
        )
        return connection_of(page, lambda p: build(Partnership, p), after)

    @strawberry.field
    async def commitment(self, info: Info, id: strawberry.ID) -> Commitment:
        return await fetch_commitment(info, id)


@strawberry.type
class CommitmentsMutation:
    @strawberry.mutation(description="Org admins of a partner (or the operator) form one.")
    async def form_partnership(self, info: Info, input: FormPartnershipInput) -> Partnership:
        caller = await info.context.caller()
        for organization_id in input.organization_ids:
            await require_organization_in_network(info, caller, organization_id)
        if input.need_id is not None:
            await need_in_network(info, caller, input.need_id)
        loader = info.context.loaders.each(info.context.clients.intake.organization)
        profiles = await loader.load_many(list(input.organization_ids))
        offers = {p.organization_id: [r.kind for r in p.offers] for p in profiles}
        if not caller.is_operator:
            require_role(caller, Role.ORG_ADMIN)
            if caller.organization_id not in input.organization_ids:
                raise AppError(
                    ErrorCode.FORBIDDEN,
                    "an admin forms partnerships that include their own organization",
                    field="input.organizationIds",
                )
        form = request(
            rq.FormPartnership,
            input=including(input, network_id=caller.network_id),
            offers=offers,
        )
        commitments = info.context.clients.commitments
        formed = await commitments.form_partnership(form, headers=writing(info))
        return build(Partnership, formed)

    @strawberry.mutation(
        description="Its parties (or the operator) name it, set its goals, check-in cadence "
        "or the need it takes up: a partnership formed from a match starts with the parties' "
        "names, the match's reasons as goals and a biweekly cadence. A new cadence re-scores "
        "check-in regularity."
    )
    async def update_partnership(
        self, info: Info, id: strawberry.ID, input: UpdatePartnershipInput
    ) -> Partnership:
        caller, _ = await partnership_view(info, id)
        if input.need_id is not None:
            await need_in_network(info, caller, input.need_id)
        changes = request(rq.UpdatePartnership, input=input)
        commitments = info.context.clients.commitments
        found = await commitments.update_partnership(id, changes, headers=writing(info))
        return build(Partnership, found)

    @strawberry.mutation(description="Pause, resume or close a partnership (its parties).")
    async def update_partnership_status(
        self, info: Info, id: strawberry.ID, status: PartnershipStatus, note: str = ""
    ) -> Partnership:
        await partnership_view(info, id)
        change = request(rq.SetPartnershipStatus, input={"status": status, "note": note})
        commitments = info.context.clients.commitments
        return build(Partnership, await commitments.set_status(id, change, headers=writing(info)))

    @strawberry.mutation(description="Set one partner's role and responsibilities.")
    async def assign_roles(
        self,
        info: Info,
        partnership_id: strawberry.ID,
        organization_id: strawberry.ID,
        responsibilities: list[str],
        title: str | None = None,
    ) -> Partnership:
        _, p = await partnership_view(info, partnership_id)
        current = next((r for r in p.roles if r.organization_id == organization_id), None)
        role = {
            "organization_id": organization_id,
            "title": title or (current.title if current else "Partner"),
            "responsibilities": responsibilities,
        }
        commitments = info.context.clients.commitments
        found = await commitments.assign_role(
            partnership_id, request(rq.AssignRole, input=role), headers=writing(info)
        )
        return build(Partnership, found)

    @strawberry.mutation(
        description="A partner's member commits its own organization (OPEN), or proposes a "
        "commitment to another partner (PROPOSED until that organization accepts it: "
        "acceptCommitment, declineCommitment); the operator's are OPEN."
    )
    async def make_commitment(self, info: Info, input: MakeCommitmentInput) -> Commitment:
        caller = await info.context.caller()
        await partnership_view(info, input.partnership_id)
        made = request(rq.MakeCommitment, input=input, by_organization_id=caller.organization_id)
        commitments = info.context.clients.commitments
        found = await commitments.make_commitment(input.partnership_id, made, headers=writing(info))
        return build(Commitment, found)

    @strawberry.mutation(description="The owner organization closes a commitment.")
    async def update_commitment(
        self, info: Info, id: strawberry.ID, status: CommitmentStatus, note: str = ""
    ) -> Commitment:
        current = await fetch_commitment(info, id)
        caller = await info.context.caller()
        if not caller.is_operator and caller.organization_id != current.owner_organization_id:
            raise AppError(ErrorCode.FORBIDDEN, "only the owner organization updates it")
        update = request(rq.CommitmentUpdate, status=status, note=note)
        commitments = info.context.clients.commitments
        return build(
            Commitment, await commitments.update_commitment(id, update, headers=writing(info))
        )

    @strawberry.mutation
    async def record_check_in(self, info: Info, input: RecordCheckInInput) -> CheckIn:
        await partnership_view(info, input.partnership_id)
        commitments = info.context.clients.commitments
        found = await commitments.record_check_in(
            input.partnership_id, request(rq.RecordCheckIn, input=input), headers=writing(info)
        )
        return build(CheckIn, found)

    @strawberry.mutation(description="Celebrate a win; every partner is told.")
    async def reach_milestone(self, info: Info, input: ReachMilestoneInput) -> Milestone:
        await partnership_view(info, input.partnership_id)
        commitments = info.context.clients.commitments
        found = await commitments.reach_milestone(
            input.partnership_id, request(rq.ReachMilestone, input=input), headers=writing(info)
        )
        return build(Milestone, found)

    @strawberry.mutation(description="In-kind or money contributions, with estimated value.")
    async def log_contribution(self, info: Info, input: LogContributionInput) -> Contribution:
        await partnership_view(info, input.partnership_id)
        commitments = info.context.clients.commitments
        found = await commitments.log_contribution(
            input.partnership_id, request(rq.LogContribution, input=input), headers=writing(info)
        )
        return build(Contribution, found)

    @strawberry.mutation
    async def submit_feedback(self, info: Info, input: SubmitFeedbackInput) -> Feedback:
        caller = await info.context.caller()
        await partnership_view(info, input.partnership_id)
        feedback = request(
            rq.SubmitFeedback,
            input=including(input, from_organization_id=caller.organization_id),
            member_id=caller.member_id,
        )
        commitments = info.context.clients.commitments
        found = await commitments.submit_feedback(
            input.partnership_id, feedback, headers=writing(info)
        )
        return build(Feedback, found)


def writing(info: Info) -> dict[str, str]:
    """The caller's idempotency header, for a write."""
    return info.context.idempotency_headers()


QUERIES: list[type] = [CommitmentsQuery]
MUTATIONS: list[type] = [CommitmentsMutation]
