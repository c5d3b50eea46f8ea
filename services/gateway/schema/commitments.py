"""GraphQL operations served by the commitments service: forming and running partnerships.

Who may do what: the parties' members record work in their partnership (the network's operator
too); only the owner organization closes a commitment; forming a partnership takes an admin of
one of the organizations, or the operator. Ids from another network answer NOT_FOUND. Every
write passes the client's `Idempotency-Key` on, as intake's do: a retry records nothing twice."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

import strawberry
from pydantic import BaseModel

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
from services.gateway.schema.intake import input_to_body
from services.gateway.schema.mapping import build
from services.gateway.schema.matching import require_organization_in_network
from services.gateway.schema.node import register_node
from services.gateway.schema.partnership_types import (
    RECORD_VIEWS,
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
    connection_of,
    network_page_params,
    page_by_id,
)
from shared import contracts as c
from shared.contracts.page import Page
from shared.errors import AppError, ErrorCode, not_found

Doc = dict[str, Any]
M = TypeVar("M", bound=BaseModel)


async def partnership_view(info: Info, partnership_id: str) -> tuple[Caller, c.PartnershipView]:
    """The partnership, if the caller is one of its parties or the network's operator."""
    caller = await info.context.caller()
    # A missing partnership raises its NOT_FOUND from the loader.
    found = await info.context.loaders.each("commitments", "/partnerships/{}").load(partnership_id)
    p = c.PartnershipView.model_validate(found)
    network = network_seen(caller, p.network_id, p.network_ids)
    require_party(caller, p.organization_ids, network, "partnership", partnership_id)
    return caller, p


async def fetch_partnership(info: Info, partnership_id: str) -> Partnership:
    _, p = await partnership_view(info, partnership_id)
    return build(Partnership, p)


async def fetch_commitment(info: Info, commitment_id: str) -> Commitment:
    await info.context.caller()  # unauthenticated before anything is read
    found = await info.context.clients.commitments.get(f"/commitments/{commitment_id}")
    commitment = c.CommitmentView.model_validate(found)
    try:  # its partnership's readers (NOT_FOUND for anyone of another network)
        await partnership_view(info, commitment.partnership_id)
    except AppError as exc:
        if exc.code is ErrorCode.NOT_FOUND:
            raise not_found("commitment", commitment_id) from None
        raise
    return build(Commitment, commitment)


register_node("ptn", Partnership, fetch_partnership)
register_node("cmt", Commitment, fetch_commitment)


async def commitments_write(
    info: Info, path: str, body: Doc, answer: type[M], method: str = "post"
) -> M:
    """A write to commitments carrying the caller's idempotency header; its answer read as
    `answer`."""
    client = info.context.clients.commitments
    send = client.put if method == "put" else client.post
    found = await send(path, body, headers=info.context.idempotency_headers())
    return answer.model_validate(found)


async def record(info: Info, partnership_id: str, kind: str, body: Doc) -> Any:
    """A record (or, for `status`, a change) of a partnership the caller is part of."""
    await partnership_view(info, partnership_id)
    answer = c.PartnershipView if kind == "status" else RECORD_VIEWS[kind]
    return await commitments_write(info, f"/partnerships/{partnership_id}/{kind}", body, answer)


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


def split_input(value: Any) -> tuple[str, Doc]:
    body: Doc = input_to_body(value)
    return str(body.pop("partnership_id")), body


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
        status_value = status.value if status else None
        params = network_page_params(network_id, first, status=status_value, after=after)
        found = await info.context.clients.commitments.get("/partnerships", params)
        page = Page[c.PartnershipView].model_validate(found)
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
            found = await info.context.loaders.each("intake", "/needs/{}").load(input.need_id)
            need = c.NeedProfile.model_validate(found)
            require_network(caller, need.network_id, "need", input.need_id)
        profiles = await info.context.loaders.each("intake", "/organizations/{}").load_many(
            list(input.organization_ids)
        )
        offers = {
            p.organization_id: [r.kind for r in p.offers]
            for p in map(c.OrganizationProfile.model_validate, profiles)
        }
        if not caller.is_operator:
            require_role(caller, Role.ORG_ADMIN)
            if caller.organization_id not in input.organization_ids:
                raise AppError(
                    ErrorCode.FORBIDDEN,
                    "an admin forms partnerships that include their own organization",
                    field="input.organizationIds",
                )
        body = input_to_body(input)
        body["network_id"] = caller.network_id
        formed = await commitments_write(
            info, "/partnerships", {"input": body, "offers": offers}, c.PartnershipView
        )
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
            found = await info.context.loaders.each("intake", "/needs/{}").load(input.need_id)
            need = c.NeedProfile.model_validate(found)
            require_network(caller, need.network_id, "need", input.need_id)
        body = {k: v for k, v in input_to_body(input).items() if v is not None}
        client = info.context.clients.commitments
        found = await client.patch(
            f"/partnerships/{id}", {"input": body}, headers=info.context.idempotency_headers()
        )
        return build(Partnership, c.PartnershipView.model_validate(found))

    @strawberry.mutation(description="Pause, resume or close a partnership (its parties).")
    async def update_partnership_status(
        self, info: Info, id: strawberry.ID, status: PartnershipStatus, note: str = ""
    ) -> Partnership:
        body = {"status": status.value, "note": note}
        return build(Partnership, await record(info, id, "status", {"input": body}))

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
        body = {
            "organization_id": organization_id,
            "title": title or (current.title if current else "Partner"),
            "responsibilities": responsibilities,
        }
        path = f"/partnerships/{partnership_id}/roles"
        found = await commitments_write(info, path, {"input": body}, c.PartnershipView, "put")
        return build(Partnership, found)

    @strawberry.mutation(
        description="A partner's member commits its own organization (OPEN), or proposes a "
        "commitment to another partner (PROPOSED until that organization accepts it: "
        "acceptCommitment, declineCommitment); the operator's are OPEN."
    )
    async def make_commitment(self, info: Info, input: MakeCommitmentInput) -> Commitment:
        partnership_id, body = split_input(input)
        caller = await info.context.caller()
        payload = {"input": body, "by_organization_id": caller.organization_id}
        return build(Commitment, await record(info, partnership_id, "commitments", payload))

    @strawberry.mutation(description="The owner organization closes a commitment.")
    async def update_commitment(
        self, info: Info, id: strawberry.ID, status: CommitmentStatus, note: str = ""
    ) -> Commitment:
        current = await fetch_commitment(info, id)
        caller = await info.context.caller()
        if not caller.is_operator and caller.organization_id != current.owner_organization_id:
            raise AppError(ErrorCode.FORBIDDEN, "only the owner organization updates it")
        body = {"status": status.value, "note": note}
        found = await commitments_write(info, f"/commitments/{id}/status", body, c.CommitmentView)
        return build(Commitment, found)

    @strawberry.mutation
    async def record_check_in(self, info: Info, input: RecordCheckInInput) -> CheckIn:
        partnership_id, body = split_input(input)
        return build(CheckIn, await record(info, partnership_id, "check-ins", {"input": body}))

    @strawberry.mutation(description="Celebrate a win; every partner is told.")
    async def reach_milestone(self, info: Info, input: ReachMilestoneInput) -> Milestone:
        partnership_id, body = split_input(input)
        return build(Milestone, await record(info, partnership_id, "milestones", {"input": body}))

    @strawberry.mutation(description="In-kind or money contributions, with estimated value.")
    async def log_contribution(self, info: Info, input: LogContributionInput) -> Contribution:
        partnership_id, body = split_input(input)
        return build(
            Contribution, await record(info, partnership_id, "contributions", {"input": body})
        )

    @strawberry.mutation
    async def submit_feedback(self, info: Info, input: SubmitFeedbackInput) -> Feedback:
        partnership_id, body = split_input(input)
        caller = await info.context.caller()
        body["from_organization_id"] = caller.organization_id
        payload = {"input": body, "member_id": caller.member_id}
        return build(Feedback, await record(info, partnership_id, "feedback", payload))


QUERIES: list[type] = [CommitmentsQuery]
MUTATIONS: list[type] = [CommitmentsMutation]
