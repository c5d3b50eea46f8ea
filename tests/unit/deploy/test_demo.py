"""The demo's data and documents hold against the code without a stack: every GraphQL
document is valid against the schema, every profile is a valid RegisterOrganizationInput, the
survey imports with exactly the one row meant to be rejected, and export lines round-trip."""

from __future__ import annotations

import json
from pathlib import Path

from graphql import OperationDefinitionNode, parse, validate
from graphql.execution.values import get_variable_values

from deploy import demo
from deploy.shellenv import export_lines, read_exports
from services.gateway.schema import build_schema
from services.intake.domain.survey import parse_survey

SCHEMA = build_schema()._schema
STORY = json.loads((demo.DATA / "network.json").read_text())


def test_every_document_is_valid() -> None:
    documents = [demo.REGISTER, demo.MATCHES, demo.RESPOND, demo.PARTNERSHIPS, demo.NEEDS]
    assert "update" in demo.WRITES  # the plan applied to a partnership formed from a match
    for document in [*documents, *demo.WRITES.values()]:
        assert validate(SCHEMA, parse(document)) == [], document


def test_every_profile_registers() -> None:
    operation = parse(demo.REGISTER).definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    for key, profile in STORY["organizations"].items():
        inputs = {"i": {"networkId": "net_1", **profile}}
        coerced = get_variable_values(SCHEMA, operation.variable_definitions or [], inputs)
        assert not isinstance(coerced, list), (key, coerced)  # a list of errors


def test_partnerships_name_demo_organizations() -> None:
    keys = set(STORY["organizations"])
    for plan in STORY["partnerships"]:
        named = {*plan["organizations"], *(c["owner"] for c in plan["commitments"])}
        named |= {c["organization"] for c in plan["contributions"]}
        named |= {f["by"] for f in plan["feedback"]}
        named |= {u["by"] for u in plan.get("updates", [])}
        assert {"name", "goals", "cadence", "needArea"} <= set(plan)
        assert named <= set(plan["organizations"]) <= keys


def test_partners_post_updates_and_a_resident_answers_on_the_community_voice_page() -> None:
    """What /app's updates log and the partnership's community responses show after the demo."""
    updates = [u for plan in STORY["partnerships"] for u in plan.get("updates", [])]
    assert {u["kind"] for u in updates} == {"PROGRESS", "SETBACK", "WIN"}
    [answer] = [v for plan in STORY["partnerships"] for v in plan.get("communityVoice", [])]
    assert 1 <= answer["rating"] <= 5 and answer["story"]


def test_the_survey_rejects_only_the_row_meant_to_fail() -> None:
    parsed = parse_survey((demo.DATA / "survey.csv").read_text())
    assert [(r.row, r.field) for r in parsed.rejected] == [(24, "concern")]
    assert len(parsed.rows) == 22


def test_export_lines_round_trip(tmp_path: Path) -> None:
    values = {"A": 'it\'s "quoted" & $spaced', "GRAPHIQL_URL": "http://x/graphql?a=1&b=%7B"}
    path = tmp_path / ".demo.env"
    path.write_text("# a comment\n" + export_lines(values))
    assert read_exports(path) == values
    assert read_exports(tmp_path / "absent") == {}


def test_the_quarter_is_a_timeline() -> None:
    """Every record falls within the quarter after its partnership formed; a commitment is
    missed only after its due date and kept on time before it; what is still open is due
    after the next two weeks (the dashboard's own due-soon figures stay the tests')."""
    quarter = demo.QUARTER.days
    for plan in STORY["partnerships"]:
        formed = plan["formedDay"]
        kinds = ("checkIns", "milestones", "contributions", "feedback", "updates", "communityVoice")
        days = [c["day"] for key in kinds for c in plan.get(key, [])]
        days += [c["madeDay"] for c in plan["commitments"]]
        assert all(formed < d < quarter for d in days), plan["key"]
        assert plan["cadence"] in demo.CADENCE_DAYS
        for c in plan["commitments"]:
            assert c["madeDay"] < c["dueDay"]
            if c.get("close") == "MISSED":
                assert c["dueDay"] < c["closeDay"] < quarter
            elif c.get("close") == "DONE":
                assert c["madeDay"] < c["closeDay"] <= c["dueDay"]
            else:
                assert c["dueDay"] > quarter + 14


def test_the_development_stack_lets_the_demo_set_the_clock_unless_told_not_to() -> None:
    from deploy.cli import development_settings
    from shared.settings import Settings

    unset = Settings(_env_file=None)
    assert not unset.clock_control and development_settings(unset).clock_control
    refused = Settings(_env_file=None, clock_control=False)
    assert not development_settings(refused).clock_control
