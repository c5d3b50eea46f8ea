"""The first slice, end to end through five processes: registerOrganization on the gateway
reaches intake, Kafka, matching and notifications, and all of it is one trace."""

from __future__ import annotations

import json
from typing import Any

from deploy.stack import Stack
from tests.support import http
from tests.support.notifications import INBOX
from tests.support.organizations import REGISTER, registration
from tests.support.stack import Client
from tests.support.traces import spans_of
from tests.support.wait import eventually


def test_registration_reaches_the_admin_inbox_in_one_trace(
    stack: Stack, operator: Client, network: dict[str, str]
) -> None:
    body = operator.execute(
        REGISTER, {"input": registration(network["networkId"], "GreenLeaf", "ann@greenleaf.org")}
    )
    assert "errors" not in body, body
    trace_id = body["extensions"]["traceId"]
    admin = operator.as_(body["data"]["registerOrganization"]["adminToken"])

    inbox = eventually(lambda: admin.data(INBOX)["notifications"]["edges"])
    assert [edge["node"]["kind"] for edge in inbox] == ["organization.registered"]
    assert "GreenLeaf" in inbox[0]["node"]["title"]
    assert admin.data(INBOX)["unreadNotificationCount"] == 1

    wanted = {"gateway", "intake", "matching", "commitments", "notifications"}

    def complete(spans: list[dict[str, Any]]) -> bool:
        # Each process exports its spans in batches, a parent after its children (it ends
        # later): the trace is whole once every parent has arrived, the gateway's root last.
        ids = {x["span_id"] for x in spans}
        return all(x["parent_id"] is None or x["parent_id"] in ids for x in spans) and any(
            x["parent_id"] is None for x in spans
        )

    spans = eventually(
        lambda: (
            (s := spans_of(stack.settings.trace_dir, trace_id))
            and wanted <= {x["service"] for x in s}
            and complete(s)
            and s
        ),
        timeout=30,
    )
    by_id = {span["span_id"]: span for span in spans}
    roots = [span for span in spans if span["parent_id"] is None]
    assert len(roots) == 1 and roots[0]["service"] == "gateway"
    assert roots[0]["kind"] == "SERVER"
    for span in spans:
        if span["parent_id"] is not None:
            assert span["parent_id"] in by_id, f"{span['name']} has a parent outside the trace"

    def parent(span: dict[str, Any]) -> dict[str, Any]:
        return by_id[span["parent_id"]]

    intake_server = next(
        s for s in spans if s["service"] == "intake" and s["name"] == "POST /organizations"
    )
    assert (
        parent(intake_server)["service"] == "gateway" and parent(intake_server)["kind"] == "CLIENT"
    )
    consumers = [
        s
        for s in spans
        if s["kind"] == "CONSUMER" and s["name"].startswith("organization.registered")
    ]
    assert {s["service"] for s in consumers} == {"matching", "commitments", "notifications"}
    for consumer in consumers:
        producer = parent(consumer)
        assert producer["service"] == "intake" and producer["kind"] == "PRODUCER"
    assert any(s["service"] == "matching" and s["kind"] == "CLIENT" for s in spans), "mongo span"


def test_the_trace_can_be_sliced_by_operation_and_its_log_lines_found(
    stack: Stack, operator: Client, network: dict[str, str]
) -> None:
    """What an operator filters on, from the real processes' span files and logs: the GraphQL
    operation on the gateway's span, current messaging names only, the database operation and
    server apart from its port, and the consumers' Received/Processed lines in the trace."""
    body = operator.execute(
        REGISTER, {"input": registration(network["networkId"], "Slice", "s@slice.org")}
    )
    assert "errors" not in body, body
    trace_id = body["extensions"]["traceId"]
    spans = eventually(
        lambda: (
            (s := spans_of(stack.settings.trace_dir, trace_id))
            and any(x["parent_id"] is None for x in s)
            and {"matching", "notifications"}
            <= {x["service"] for x in s if x["kind"] == "CONSUMER"}
            and s
        ),
        timeout=30,
    )
    [root] = [s for s in spans if s["parent_id"] is None]
    assert root["attributes"]["graphql.operation.name"] == "Register"
    assert root["attributes"]["graphql.operation.type"] == "mutation"
    old = {"messaging.operation", "messaging.kafka.message.offset"}
    old |= {"messaging.destination_publish.name", "messaging.kafka.destination.partition"}
    for span in spans:
        assert not old & set(span["attributes"]), span["name"]
    processed = [s for s in spans if s["kind"] == "CONSUMER" and s["name"].endswith(" process")]
    assert all(s["attributes"]["messaging.operation.type"] == "process" for s in processed)
    database = [s for s in spans if "db.system.name" in s["attributes"]]
    assert database
    for span in database:
        assert span["attributes"]["db.operation.name"]
        assert ":" not in span["attributes"]["server.address"]
        assert span["attributes"]["server.port"] > 0

    logs = stack.settings.data_dir / "logs"

    def lines_of(service: str) -> list[dict[str, Any]]:
        text = (logs / f"{service}.log").read_text(errors="replace")
        return [json.loads(x) for x in text.splitlines() if trace_id in x and x.startswith("{")]

    process_spans = {s["span_id"] for s in processed}
    for service in ("matching", "notifications"):
        found = eventually(
            lambda service=service: (
                (lines := lines_of(service))
                and {"Received", "Processed"} <= {x["message"] for x in lines}
                and lines
            )
        )
        for line in found:
            if line["message"] in ("Received", "Processed"):
                assert line["span_id"] in process_spans, line


def test_matching_read_model_holds_the_profile(
    stack: Stack, operator: Client, network: dict[str, str]
) -> None:
    data = operator.data(
        REGISTER, {"input": registration(network["networkId"], "River Friends", "bo@river.org")}
    )
    org_id = data["registerOrganization"]["organization"]["id"]
    headers = {"X-Service-Token": stack.settings.service_token.get_secret_value()}

    def profile() -> dict[str, Any] | None:
        response = http.get(f"{stack.service_url('matching')}/profiles/{org_id}", headers=headers)
        return response.json() if response.status_code == 200 else None

    found = eventually(profile)
    assert found["name"] == "River Friends"
    assert found["offers"][0]["kind"] == "outreach"


def test_the_gateway_rejects_a_missing_or_unknown_token(gql: Client) -> None:
    for client in (gql, gql.as_("cw_not-a-real-token")):
        errors = client.errors(INBOX)
        assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
