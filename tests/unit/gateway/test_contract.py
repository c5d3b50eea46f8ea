"""The contract's rough edges, smoothed (issue 14, part 8): Relay's whole PageInfo; a
coalition's `covers` in the `ResourceKind` enum; coalitions best first by the score they show;
`reportNeed` answers coalitions computed with the need it reports; the partnership report's CSV
has exactly the columns the schema documents."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI

from services.commitments.domain.health import Health, HealthPart
from services.commitments.domain.report import build_report, report_csv
from services.gateway.context import GatewayContext
from services.gateway.schema import build_schema
from services.gateway.schema.matching import Coalition, best_first
from services.gateway.schema.relay import connection, page_of
from services.matching.api import router as matching_router
from services.matching.service import Matcher
from shared.contracts import NeedProfile, OrganizationProfile, Resource
from shared.contracts.commitments import REPORT_CSV_COLUMNS
from shared.contracts.intake import ResourceKind
from shared.settings import Settings
from tests.support.fake_matching import FakeMatchingUnitOfWork
from tests.support.field_report import MENTAL_HEALTH_NEED, field_report_index

SDL = build_schema(Settings(_env_file=None)).as_str()  # type: ignore[call-arg]


# PageInfo


def test_page_info_has_start_cursor_and_previous_page() -> None:
    first = page_of(["a", "b", "c"], ["c1", "c2", "c3"], first=2, after=None).page_info
    assert (first.has_previous_page, first.has_next_page) == (False, True)
    assert (first.start_cursor, first.end_cursor) == ("c1", "c2")
    second = page_of(["a", "b", "c"], ["c1", "c2", "c3"], first=2, after="c2").page_info
    assert (second.has_previous_page, second.has_next_page) == (True, False)
    assert (second.start_cursor, second.end_cursor) == ("c3", "c3")
    empty = connection([], [], False, after="c9").page_info
    assert (empty.start_cursor, empty.end_cursor, empty.has_previous_page) == (None, None, True)


def test_the_schema_has_relays_whole_page_info() -> None:
    page_info = SDL.split("type PageInfo {")[1].split("}")[0]
    for field in (
        "hasNextPage: Boolean!",
        "hasPreviousPage: Boolean!",
        "startCursor: String",
        "endCursor: String",
    ):
        assert field in page_info


# coalitions: covers, order


def test_a_coalitions_covers_are_resource_kinds_like_required_resources() -> None:
    member = SDL.split("type CoalitionMember {")[1].split("}")[0]
    assert "covers: [ResourceKind!]!" in member
    assert "requiredResources: [ResourceKind!]!" in SDL.split("type Need ")[1].split("}")[0]
    [coalition] = best_first(
        [
            {
                "members": [
                    {
                        "organization_id": "org_a",
                        "name": "A",
                        "covers": ["counseling", "venue", "sign language"],
                        "alignment": 0.5,
                    }
                ],
                "score": 0.5,
                "uncovered_resources": [],
            }
        ]
    )
    kinds = coalition.organizations[0].covers
    assert kinds == [ResourceKind.COUNSELING, ResourceKind.VENUE, ResourceKind.OTHER]


def test_coalitions_come_best_first_whole_covers_before_score() -> None:
    from services.matching.domain.coalitions import coalitions

    need = MENTAL_HEALTH_NEED.model_copy(
        update={"required_resources": ["counseling", "venue", "sign language interpreters"]}
    )
    found = coalitions(field_report_index(), need, alternatives=10)
    assert len(found) == 3
    ranks = [(len(c.uncovered_resources), -c.score) for c in found]
    assert ranks == sorted(ranks)
    # the whole cover comes first (nobody offers interpreters, so no coalition has them)
    assert found[0].uncovered_resources == ["sign language interpreters"]
    partial = next(c for c in found if "counseling" in c.uncovered_resources)
    assert partial.score < found[0].score
    # asked for one, the one is the best
    assert coalitions(field_report_index(), need, alternatives=1) == found[:1]


def test_the_gateway_shows_coalitions_in_matchings_rank() -> None:
    # matching ranks them (a whole cover before a higher-scored partial one); the gateway keeps it
    docs = [
        {"members": [], "score": 0.4, "uncovered_resources": []},
        {"members": [], "score": 0.9, "uncovered_resources": ["outreach"]},
    ]
    shown: list[Coalition] = best_first(docs)
    assert [(c.score, c.uncovered_resources) for c in shown] == [(0.4, []), (0.9, ["outreach"])]


# reportNeed answers coalitions computed with the new need


@dataclass
class AsgiClient:
    """The gateway's service client's surface, over a service's real routes in process."""

    app: FastAPI

    async def _send(self, method: str, path: str, **kwargs: Any) -> Any:
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://matching") as http:
            response = await http.request(method, path, **kwargs)
        response.raise_for_status()
        return response.json()

    async def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return await self._send("GET", path, params=params)

    async def post(self, path: str, body: Any = None, **_: Any) -> Any:
        return await self._send("POST", path, json=body)


@dataclass
class Intake:
    """Intake as the gateway sees it: a member's token, and a need reported (version 2: it
    strengthened one matching has read at version 1)."""

    need: dict[str, Any]

    async def post(self, path: str, body: Any = None, **_: Any) -> Any:
        if path == "/auth/resolve":
            return {
                "memberId": "mem_1",
                "networkId": "net_eval",
                "organizationId": "org_center",
                "role": "MEMBER",
            }
        assert path == "/needs"
        return {"need": self.need, "strengthened": True}


@dataclass
class Clients:
    intake: Intake
    matching: AsgiClient
    ready: bool = True  # every service has answered ready (services/gateway/readiness.py)


def org(key: str, name: str, offers: str) -> OrganizationProfile:
    return OrganizationProfile(
        organization_id=f"org_{key}",
        network_id="net_eval",
        version=1,
        name=name,
        focus_areas=["mental health"],
        offers=[Resource(kind=offers)],
        populations_served=["residents"],
    )


REPORT = """
mutation R($input: ReportNeedInput!) { reportNeed(input: $input) {
  strengthened need { id version requiredResources
    coalitions { score uncoveredResources organizations { organizationId covers } } } } }"""


async def test_report_need_answers_coalitions_computed_with_the_need_it_reports(
    matcher: Matcher, matching_uow: FakeMatchingUnitOfWork
) -> None:
    uow = matching_uow
    for profile in (org("counselors", "Counselors", "counseling"), org("center", "Hub", "venue")):
        async with uow:
            await matcher.on_profile(profile, uow)
    before = NeedProfile(
        need_id="need_1", network_id="net_eval", version=1, title="Support",
        focus_area="mental health", area="Eastside", severity=3, required_resources=["venue"],
    )  # fmt: skip
    async with uow:
        await matcher.on_need(before, uow)  # what matching holds: the need before this report
    after = before.model_copy(
        update={"version": 2, "required_resources": ["venue", "counseling"]}
    ).model_dump(mode="json")
    app = FastAPI()
    app.include_router(matching_router)
    app.state.matcher = matcher
    app.state.unit_of_work = lambda: uow
    settings = Settings(_env_file=None)
    clients: Any = Clients(Intake(after), AsgiClient(app))
    context = GatewayContext(settings, clients, bearer="member-token")
    body = {
        "networkId": "net_eval", "title": "Support", "focusArea": "mental health",
        "area": "Eastside", "severity": 3, "requiredResources": ["VENUE", "COUNSELING"],
    }  # fmt: skip
    result = await build_schema(settings).execute(
        REPORT, variable_values={"input": body}, context_value=context
    )
    assert result.errors is None, result.errors
    need = result.data["reportNeed"]["need"]  # type: ignore[index]
    assert need["version"] == 2 and need["requiredResources"] == ["VENUE", "COUNSELING"]
    best = need["coalitions"][0]
    assert {m["organizationId"]: m["covers"] for m in best["organizations"]} == {
        "org_center": ["VENUE"],
        "org_counselors": ["COUNSELING"],
    }
    assert best["uncoveredResources"] == []
    # matching's own copy is still version 1: the answer did not come from it
    _, stored = await matcher.coalitions("need_1", 3, uow)
    assert [[m.organization_id for m in c.members] for c in stored] == [["org_center"]]


# the partnership report's CSV


def sample_report() -> tuple[dict[str, Any], dict[str, str]]:
    at = datetime(2026, 3, 1, tzinfo=UTC)
    names = {"org_a": "GreenLeaf, Inc.", "org_b": "Northside"}
    report = build_report(
        {
            "_id": "pship_1",
            "name": "Recycling, together",
            "status": "active",
            "formed_at": at,
            "organization_ids": ["org_a", "org_b"],
        },
        names,
        commitments=[{"status": "done", "due_at": at, "closed_at": at}, {"status": "open"}],
        check_ins=[{"wins": ["Flyers designed"], "blockers": ["rain"]}],
        milestones=[{"title": "First drive", "note": "200 kg", "reached_at": at}],
        contributions=[
            {
                "organization_id": "org_a",
                "kind": "volunteer_hours",
                "unit": "hours",
                "quantity": 40.0,
                "estimated_value": 1200.0,
            },
        ],
        feedback=[
            {
                "rating": 5,
                "comment": "Kids loved it, truly",
                "submitted_at": at,
                "participants_reached": 120,
            },
            {"rating": 4, "comment": "", "submitted_at": at, "participants_reached": 80},
        ],
        health=Health(
            0.8,
            [HealthPart(name="follow_through", score=1.0, weight=0.35, detail="1 of 1 on time")],
        ),
    )
    return report, names


def test_the_report_csv_has_exactly_the_documented_columns_on_every_row() -> None:
    report, names = sample_report()
    rows = list(csv.reader(io.StringIO(report_csv(report, names))))
    assert rows[0] == list(REPORT_CSV_COLUMNS) == [
        "section", "organization", "measure", "value", "unit", "note",
    ]  # fmt: skip
    assert all(len(row) == len(REPORT_CSV_COLUMNS) for row in rows), rows
    assert ["partnership", "", "name", "Recycling, together", "", ""] in rows
    assert ["partnership", "", "status", "active", "", ""] in rows
    assert ["feedback", "", "rating", "5", "of 5", "Kids loved it, truly"] in rows
    assert ["contributions", "GreenLeaf, Inc.", "volunteer_hours", "40.0", "hours", ""] in rows
    assert ["health", "", "follow_through", "1.0", "", "1 of 1 on time"] in rows


def test_the_schema_documents_the_csv_columns_in_their_order() -> None:
    report_type = SDL.split("type PartnershipReport {")[1].split("csv: String!")[0]
    named = [name for name in REPORT_CSV_COLUMNS if f"`{name}`" in report_type]
    assert named == list(REPORT_CSV_COLUMNS)
    positions = [report_type.index(f"`{name}`") for name in REPORT_CSV_COLUMNS]
    assert positions == sorted(positions)
