"""The gateway's own behaviour on the shared stack: authentication, error shapes, limits,
node(id), batching of service reads, and the health of its dependencies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from deploy.stack import Stack
from tests.support import http
from tests.support.organizations import register
from tests.support.stack import Client, codes, create_network
from tests.support.wait import eventually


def assert_no_internals(body: dict[str, Any]) -> None:
    text = json.dumps(body)
    for leak in ("Traceback", 'File "', "site-packages", "Exception"):
        assert leak not in text, body


def test_missing_and_unknown_tokens_are_unauthenticated(gql: Client) -> None:
    assert codes(gql.errors("{ me { role } }")) == ["UNAUTHENTICATED"]
    assert codes(gql.as_("not-a-token").errors("{ me { role } }")) == ["UNAUTHENTICATED"]


def test_every_response_carries_a_trace_id_and_no_stack_trace(operator: Client) -> None:
    for query in ("{ me { role } }", "{ me { role ", "{ noSuchField }", "query { me(x: 1) }"):
        body = operator.execute(query)
        assert len(body["extensions"]["traceId"]) == 32, body
        assert_no_internals(body)
    assert codes(operator.errors("{ me { role ")) == ["BAD_USER_INPUT"]
    assert codes(operator.errors("{ noSuchField }")) == ["BAD_USER_INPUT"]


def test_limits_are_refused_with_limit_exceeded(operator: Client) -> None:
    # The schema is still shallow, so the deep document also selects unknown fields; the
    # depth limiter reports it besides (a valid deep query: test_gateway_resilience).
    deep_query = "{ me " + "{ a " * 20 + "}" * 20 + " }"
    alias_bomb = "{ " + " ".join(f"a{i}: me {{ role }}" for i in range(200)) + " }"
    long_document = "{ " + " ".join("me { role }" for _ in range(1500)) + " }"
    oversized_page = "{ notifications(first: 1000) { edges { node { id } } } }"
    for query in (deep_query, alias_bomb, long_document, oversized_page):
        errors = operator.errors(query)
        assert "LIMIT_EXCEEDED" in codes(errors), (query[:80], errors)


def test_node_finds_an_organization_in_the_callers_network_only(
    stack: Stack, operator: Client, network: dict[str, str]
) -> None:
    org = register(operator, network["networkId"], "Node Pantry")
    query = "query N($id: ID!) { node(id: $id) { id ... on Organization { name } } }"
    found = operator.data(query, {"id": org["organization"]["id"]})["node"]
    assert found == {"id": org["organization"]["id"], "name": "Node Pantry"}

    other = create_network(stack, name="Elsewhere")
    stranger = operator.as_(other["operatorToken"])
    for node_id in (org["organization"]["id"], "org_doesnotexist", "zzz_unknown", "plain"):
        body = stranger.execute(query, {"id": node_id})
        assert body["data"] == {"node": None}
        assert codes(body["errors"]) == ["NOT_FOUND"], body


def gateway_http_calls(stack: Stack, trace_id: str) -> list[str]:
    """The gateway's outgoing HTTP calls in one trace, from the local span files."""
    path: Path = stack.settings.trace_dir / "gateway.jsonl"

    def spans() -> list[dict[str, Any]] | None:
        found = [
            span
            for line in (path.read_text().splitlines() if path.exists() else [])
            if line.strip() and (span := json.loads(line))["trace_id"] == trace_id
        ]
        finished = any(s["kind"] == "SERVER" and s["parent_id"] is None for s in found)
        return found if finished else None

    return [s["name"] for s in eventually(spans) if s["kind"] == "CLIENT"]


def test_repeated_reads_in_one_request_are_deduplicated(
    stack: Stack, operator: Client, network: dict[str, str]
) -> None:
    org = register(operator, network["networkId"], "Dedup Pantry")["organization"]["id"]
    aliases = " ".join(f'n{i}: node(id: "{org}") {{ id }}' for i in range(10))
    body = operator.execute("{ " + aliases + " }")
    assert not body.get("errors"), body
    # one call to load the organization, not ten (and one to resolve the token, unless the
    # gateway's cache of callers still has it)
    calls = gateway_http_calls(stack, body["extensions"]["traceId"])
    assert calls.count("GET") == 1 and len(calls) <= 2, calls


def test_health_reports_each_dependency(stack: Stack) -> None:
    def healthy() -> dict[str, Any] | None:
        response = http.get(f"{stack.service_url('gateway')}/health", timeout=10)
        body: dict[str, Any] = response.json()
        assert set(body["dependencies"]) == {"intake", "matching", "commitments", "notifications"}
        return body if response.status_code == 200 else None

    # Readiness is a live answer: on a loaded machine one store round trip can miss its 2 s
    # (an orchestrator acts on two misses in a row), so the stack must be healthy again soon.
    body = eventually(healthy, 30, interval=1)
    assert body["dependencies"] == {
        "intake": "ok",
        "matching": "ok",
        "commitments": "ok",
        "notifications": "ok",
    }
