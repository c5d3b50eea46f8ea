"""Community needs (served by intake): report one, import a neighborhood survey, read them;
a need's `coalitions` come from matching."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types.unset import UNSET

from services.gateway.auth import require_network
from services.gateway.schema.context import Info
from services.gateway.schema.enums import ResourceKind
from services.gateway.schema.intake_mutations import operator_import
from services.gateway.schema.mapping import build, including, request
from services.gateway.schema.matching import Coalition, coalitions_for
from services.gateway.schema.node import register_node
from services.gateway.schema.relay import Connection, check_page_size, connection_of
from shared import contracts
from shared.contracts.requests import intake as rq


@strawberry.type
class Evidence:
    source: str
    responses: int


@strawberry.type
class Need:
    id: strawberry.ID
    network_id: strawberry.ID
    title: str
    description: str
    focus_area: str = strawberry.field(description="A vocabulary code, or the term as written.")
    area: str
    severity: int
    required_resources: list[ResourceKind]
    affected_populations: list[str]
    evidence: list[Evidence]
    version: int
    created_at: datetime | None
    profile: strawberry.Private[contracts.NeedProfile]

    @strawberry.field(
        description="The fewest aligned organizations that cover this need as shown here (at "
        "this version: at once in `reportNeed`'s answer too), and alternatives; best first."
    )
    async def coalitions(self, info: Info, first: int = 3) -> list[Coalition]:
        return await coalitions_for(info, self.profile, first)


def need_of(need: contracts.NeedProfile) -> Need:
    """A need from intake's profile, which goes along for its coalitions."""
    return build(Need, need, id=strawberry.ID(need.need_id), profile=need)


async def fetch_need(info: Info, need_id: str) -> Need:
    caller = await info.context.caller()
    found = await info.context.loaders.each(info.context.clients.intake.need).load(need_id)
    need = need_of(found)
    require_network(caller, need.network_id, "need", need_id)
    return need


register_node("need", Need, fetch_need)


@strawberry.input
class EvidenceInput:
    source: str = "report"
    responses: int = 1


@strawberry.input
class ReportNeedInput:
    network_id: strawberry.ID
    title: str
    focus_area: str
    area: str
    severity: int
    description: str = ""
    required_resources: list[ResourceKind] = strawberry.field(default_factory=list)
    affected_populations: list[str] = strawberry.field(default_factory=list)
    evidence: EvidenceInput | None = None


@strawberry.type
class ReportNeedPayload:
    need: Need
    strengthened: bool = strawberry.field(
        description="True when the need was already known for this area and focus area."
    )


@strawberry.type
class RejectedRow:
    row: int = strawberry.field(description="As a spreadsheet numbers it: the header is row 1.")
    field: str
    message: str


@strawberry.type
class ImportSurveyPayload:
    survey_id: strawberry.ID
    needs_created: int
    needs_strengthened: int
    rows_imported: int
    rows_rejected: int
    rejected_rows: list[RejectedRow] = strawberry.field(description="The first 1,000.")


@strawberry.type
class NeedsQuery:
    @strawberry.field
    async def need(self, info: Info, id: strawberry.ID) -> Need:
        return await fetch_need(info, id)

    @strawberry.field(description="A network's needs, filtered by focus area and area.")
    async def needs(
        self,
        info: Info,
        network_id: strawberry.ID,
        focus_area: str | None = None,
        area: str | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Need]:
        caller = await info.context.caller()
        require_network(caller, network_id, "network", network_id)
        page = await info.context.clients.intake.needs(
            network_id, check_page_size(first), focus_area=focus_area or None, area=area or None,
            after=after,
        )  # fmt: skip
        return connection_of(page, need_of, after)


@strawberry.type
class NeedsMutation:
    @strawberry.mutation(
        description="Any member or the operator. A need already known for the same area and "
        "focus area is strengthened (evidence adds up) instead of duplicated."
    )
    async def report_need(self, info: Info, input: ReportNeedInput) -> ReportNeedPayload:
        caller = await info.context.caller()
        require_network(caller, input.network_id, "network", input.network_id)
        # a need without evidence is one report
        need = input if input.evidence is not None else including(input, evidence=UNSET)
        report = request(rq.ReportNeed, input=need, reported_by=caller.member_id)
        reported = await info.context.clients.intake.report_need(
            report, headers=info.context.idempotency_headers()
        )
        return build(ReportNeedPayload, reported, need=need_of(reported.need))

    @strawberry.mutation(
        description="The operator imports a neighborhood survey (CSV text, or a "
        "`data:text/csv;base64,...` URL): columns area, concern, comment, optional population "
        "and age_group. The same file again changes nothing and answers the first answer."
    )
    async def import_survey(
        self, info: Info, network_id: strawberry.ID, csv: str
    ) -> ImportSurveyPayload:
        sending = await operator_import(info, network_id)
        survey = request(rq.ImportSurvey, network_id=network_id, csv=csv)
        result = await info.context.clients.intake.import_survey(survey, **sending)
        return build(ImportSurveyPayload, result)


QUERIES: list[type] = [NeedsQuery]
MUTATIONS: list[type] = [NeedsMutation]
