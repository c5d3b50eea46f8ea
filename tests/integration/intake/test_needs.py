"""Community needs through GraphQL on the real stack: reporting and strengthening, reading
(need, node, needs connection, coalitions), and survey imports (good and bad rows, the same
file again, whole-file errors), with their events on Kafka."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest

from deploy.stack import Stack
from tests.support.events import assert_cloud_event, events_of
from tests.support.organizations import register_outreach
from tests.support.stack import Client, codes
from tests.support.wait import eventually

NEED_FIELDS = """id title focusArea area severity requiredResources affectedPopulations
  evidence { source responses } version"""
REPORT = f"""
mutation R($input: ReportNeedInput!) {{
  reportNeed(input: $input) {{ strengthened need {{ {NEED_FIELDS} }} }} }}"""
NEED = (
    f"query N($id: ID!) {{ need(id: $id) {{ {NEED_FIELDS} "
    "coalitions { score organizations { organizationId } } } }"
)
NODE = "query N($id: ID!) { node(id: $id) { __typename id ... on Need { title } } }"
NEEDS = """
query L($net: ID!, $focus: String, $area: String, $first: Int, $after: String) {
  needs(networkId: $net, focusArea: $focus, area: $area, first: $first, after: $after) {
    edges { node { id area focusArea evidence { source responses } severity } }
    pageInfo { hasNextPage endCursor } } }"""
IMPORT = """
mutation I($net: ID!, $csv: String!) { importSurvey(networkId: $net, csv: $csv) {
  surveyId needsCreated needsStrengthened rowsImported rowsRejected
  rejectedRows { row field message } } }"""


def need_input(network_id: str, **change: Any) -> dict[str, Any]:
    return {
        "networkId": network_id,
        "title": "Counseling for teens",
        "description": "Waiting lists of three months",
        "focusArea": "counseling",
        "area": "Eastside",
        "severity": 3,
        "requiredResources": ["COUNSELING", "VENUE"],
        "affectedPopulations": ["youth"],
        "evidence": {"source": "school nurse", "responses": 4},
        **change,
    }


async def test_a_need_reported_twice_is_strengthened_not_duplicated(
    stack: Stack, operator: Client, network: dict[str, str]
) -> None:
    net = network["networkId"]
    org = register_outreach(operator, net, "Teen Center")
    member = operator.as_(org["adminToken"])
    first = member.data(REPORT, {"input": need_input(net)})["reportNeed"]
    assert first["strengthened"] is False
    need = first["need"]
    assert need["id"].startswith("need_") and need["focusArea"] == "mental_health"
    again = operator.data(
        REPORT,
        {
            "input": need_input(
                net, area=" eastside", focusArea="Mental Health", severity=5,
                requiredResources=["MENTORING"], affectedPopulations=["parents"],
                evidence={"source": "school nurse", "responses": 6},
            )
        },
    )["reportNeed"]  # fmt: skip
    assert again["strengthened"] is True
    strong = again["need"]
    assert strong["id"] == need["id"] and strong["version"] == 2
    assert strong["severity"] == 5 and strong["title"] == "Counseling for teens"
    assert strong["requiredResources"] == ["COUNSELING", "VENUE", "MENTORING"]
    assert strong["affectedPopulations"] == ["youth", "parents"]
    assert strong["evidence"] == [{"source": "school nurse", "responses": 10}]

    read = member.data(NEED, {"id": need["id"]})["need"]
    assert read["evidence"] == strong["evidence"] and isinstance(read["coalitions"], list)
    assert member.data(NODE, {"id": need["id"]})["node"] == {
        "__typename": "Need", "id": need["id"], "title": "Counseling for teens",
    }  # fmt: skip

    reported = await events_of(stack, "need.reported", need["id"])
    assert_cloud_event(reported[0][0], "need.reported", need["id"])
    assert reported[0][1]["need"]["focus_area"] == "mental_health"
    updated = await events_of(stack, "need.updated", need["id"])
    assert_cloud_event(updated[0][0], "need.updated", need["id"])
    assert updated[0][1]["need"]["evidence"] == [{"source": "school nurse", "responses": 10}]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"severity": 6}, "input.severity"),
        ({"severity": 0}, "input.severity"),
        ({"title": ""}, "input.title"),
        ({"area": "x" * 201}, "input.area"),
        ({"evidence": {"source": "survey", "responses": 0}}, "input.evidence.responses"),
        ({"affectedPopulations": ["ok", ""]}, "input.affectedPopulations[1]"),
    ],
)
def test_bad_need_input_names_the_field(
    operator: Client, network: dict[str, str], change: dict[str, Any], field: str
) -> None:
    errors = operator.errors(REPORT, {"input": need_input(network["networkId"], **change)})
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert errors[0]["extensions"]["field"] == field
    listed = operator.data(NEEDS, {"net": network["networkId"]})["needs"]["edges"]
    assert listed == []


def test_needs_connection_filters_and_pages(operator: Client, network: dict[str, str]) -> None:
    net = network["networkId"]
    for area, focus in [("North", "food bank"), ("North", "housing"), ("South", "hunger"),
                        ("West", "literacy"), ("West", "dog parks")]:  # fmt: skip
        operator.data(REPORT, {"input": need_input(net, area=area, focusArea=focus)})

    def found(**variables: Any) -> list[tuple[str, str]]:
        edges = operator.data(NEEDS, {"net": net, **variables})["needs"]["edges"]
        return sorted((e["node"]["area"], e["node"]["focusArea"]) for e in edges)

    assert found(focus="food") == [("North", "food_security"), ("South", "food_security")]
    assert found(area="west") == [("West", "dog parks"), ("West", "literacy")]
    assert found(focus="Dog Parks") == [("West", "dog parks")]
    seen, after = [], None
    while True:
        page = operator.data(NEEDS, {"net": net, "first": 2, "after": after})["needs"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(set(seen)) == len(seen) == 5


SURVEY = (
    "area,concern,comment,age_group,population\n"
    "Eastside,mental health,Teens are stressed,13-17,youth\n"
    "Eastside,counseling,No counselor at school,,parents\n"
    ",housing,no area,,\n"  # row 4: rejected
    "Westside,recycling,Bins overflow,,\n"
    "Westside,,no concern,,\n"  # row 6: rejected
    "Westside,Recycling,More bins,,\n"
    "Northside,dog parks,We need a dog park,,\n"
)


async def test_a_survey_creates_and_strengthens_needs_and_a_reimport_changes_nothing(
    stack: Stack, operator: Client, network: dict[str, str]
) -> None:
    net = network["networkId"]
    known = operator.data(REPORT, {"input": need_input(net)})["reportNeed"]["need"]
    answer = operator.data(IMPORT, {"net": net, "csv": SURVEY})["importSurvey"]
    assert answer["rowsImported"] == 5 and answer["rowsRejected"] == 2
    assert answer["needsCreated"] == 2 and answer["needsStrengthened"] == 1
    assert [(r["row"], r["field"]) for r in answer["rejectedRows"]] == [(4, "area"), (6, "concern")]
    strengthened = operator.data(NEED, {"id": known["id"]})["need"]
    assert strengthened["evidence"] == [
        {"source": "school nurse", "responses": 4}, {"source": "survey", "responses": 2},
    ]  # fmt: skip
    assert "ages 13-17" in strengthened["affectedPopulations"]
    westside = operator.data(NEEDS, {"net": net, "area": "westside"})["needs"]["edges"]
    assert [(e["node"]["focusArea"], e["node"]["evidence"]) for e in westside] == [
        ("environment", [{"source": "survey", "responses": 2}])
    ]
    before = operator.data(NEEDS, {"net": net})

    again = operator.data(IMPORT, {"net": net, "csv": SURVEY})["importSurvey"]
    assert again == answer
    as_data_url = "data:text/csv;base64," + base64.b64encode(SURVEY.encode()).decode()
    assert operator.data(IMPORT, {"net": net, "csv": as_data_url})["importSurvey"] == answer
    assert operator.data(NEEDS, {"net": net}) == before

    imported = await events_of(stack, "survey.imported", answer["surveyId"])
    assert len(imported) == 1
    assert_cloud_event(imported[0][0], "survey.imported", answer["surveyId"])
    assert imported[0][1]["rows_imported"] == 5 and imported[0][1]["needs_created"] == 2
    updated = await events_of(stack, "need.updated", known["id"])
    assert [body["need"]["version"] for _, body in updated] == [2]


@pytest.mark.parametrize(
    ("csv", "words"),
    [
        ("area,concern\nNorth,food\n", "missing required column(s): comment"),
        (
            "data:text/csv;base64,"
            + base64.b64encode("area,concern,comment\nCafé,food,x\n".encode("latin-1")).decode(),
            "not UTF-8",
        ),
        ("", "empty"),
    ],
)
def test_a_bad_file_is_rejected_whole_and_writes_nothing(
    operator: Client, network: dict[str, str], csv: str, words: str
) -> None:
    errors = operator.errors(IMPORT, {"net": network["networkId"], "csv": csv})
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert errors[0]["extensions"]["field"] == "csv"
    assert words in errors[0]["message"]
    assert operator.data(NEEDS, {"net": network["networkId"]})["needs"]["edges"] == []


def test_only_the_operator_imports_and_members_report(
    operator: Client, network: dict[str, str]
) -> None:
    org = register_outreach(operator, network["networkId"], f"Importer {uuid.uuid4().hex[:6]}")
    admin = operator.as_(org["adminToken"])
    errors = admin.errors(IMPORT, {"net": network["networkId"], "csv": SURVEY})
    assert codes(errors) == ["FORBIDDEN"]
    assert admin.data(REPORT, {"input": need_input(network["networkId"])})["reportNeed"]


def test_the_same_idempotency_key_reports_a_need_once(
    operator: Client, network: dict[str, str]
) -> None:
    key = {"Idempotency-Key": uuid.uuid4().hex}
    body = {"input": need_input(network["networkId"])}
    first = operator.data(REPORT, body, headers=key)["reportNeed"]
    assert operator.data(REPORT, body, headers=key)["reportNeed"] == first
    need = operator.data(NEED, {"id": first["need"]["id"]})["need"]
    assert need["version"] == 1 and need["evidence"][0]["responses"] == 4


def test_need_coalitions_appear_once_matching_has_the_need(
    operator: Client, network: dict[str, str]
) -> None:
    net = network["networkId"]
    register_outreach(operator, net, "Westside Counselors", focusAreas=["counseling"],
             offers=[{"kind": "COUNSELING"}])  # fmt: skip
    need = operator.data(REPORT, {"input": need_input(net, requiredResources=["COUNSELING"])})

    def coalitions() -> list[dict[str, Any]] | None:
        found = operator.data(NEED, {"id": need["reportNeed"]["need"]["id"]})["need"]
        # The need and the profile reach matching on different topics: wait for both.
        covered = [c for c in found["coalitions"] if c["organizations"]]
        return covered or None

    assert eventually(coalitions, timeout=30)[0]["score"] > 0

    # reportNeed answers the coalitions of the need it reports: here strengthened with a kind
    # nobody offers, whether or not matching has read need.updated yet
    again = operator.data(
        REPORT_WITH_COALITIONS,
        {"input": need_input(net, requiredResources=["COUNSELING", "VENUE"])},
    )["reportNeed"]
    assert again["strengthened"] and again["need"]["version"] == 2
    [best, *_] = again["need"]["coalitions"]
    assert best["uncoveredResources"] == ["venue"]
    assert [m["covers"] for m in best["organizations"]] == [["COUNSELING"]]


REPORT_WITH_COALITIONS = """
mutation R($input: ReportNeedInput!) { reportNeed(input: $input) { strengthened need {
  version coalitions { score uncoveredResources organizations { organizationId covers } } } } }"""
