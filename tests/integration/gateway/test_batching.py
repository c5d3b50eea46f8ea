"""No N+1: a nested query over 20 organizations with their matches, partnerships, the
partners' names and the partnerships' commitments costs a constant number of internal HTTP
calls, counted from the gateway's own client spans in the request's trace. (Seven calls at
most: a call per organization would be 20, a call per partnership 5 more.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from deploy.stack import Stack
from tests.support.organizations import register_profile
from tests.support.partnerships import COMMIT, form
from tests.support.stack import Client, create_network
from tests.support.traces import spans_of
from tests.support.wait import eventually

ORGANIZATIONS = 20
PARTNERED = 10  # the first ten, in pairs: five partnerships
NESTED = """query($n: ID!) { organizations(networkId: $n, first: 50) { edges { node {
  id name reliability
  matches(first: 3) { edges { node { id score } } }
  partnerships { edges { node { id name organizations { name }
    commitments { edges { node { id title } } } } } }
} } } }"""


def test_a_nested_query_costs_a_constant_number_of_calls(stack: Stack) -> None:
    net = create_network(stack, name="Batching Network")
    operator = Client(stack.graphql_url, net["operatorToken"])
    ids = []
    for i in range(ORGANIZATIONS):
        offers, needs = ("OUTREACH", "FUNDING") if i % 2 else ("FUNDING", "OUTREACH")
        org = register_profile(
            operator, net["networkId"], f"Batch Org {i}", focusAreas=["food security"],
            offers=[{"kind": offers}], needs=[{"kind": needs}],
        )  # fmt: skip
        ids.append(org["organization"]["id"])
    due = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    for a, b in zip(ids[0:PARTNERED:2], ids[1:PARTNERED:2], strict=True):
        pid = form(operator, f"{a} & {b}", [a, b])["id"]
        operator.data(
            COMMIT,
            {"i": {"partnershipId": pid, "ownerOrganizationId": a, "title": "Deliver",
                   "dueAt": due}},
        )  # fmt: skip

    def with_matches() -> dict[str, Any] | None:
        body = operator.execute(NESTED, {"n": net["networkId"]})
        nodes = [e["node"] for e in body["data"]["organizations"]["edges"]]
        matched = sum(1 for n in nodes if n["matches"]["edges"])
        return body if matched >= ORGANIZATIONS // 2 else None

    eventually(with_matches, timeout=60, interval=0.25)  # matching has caught up
    body = operator.execute(NESTED, {"n": net["networkId"]})
    assert "errors" not in body, body["errors"]
    nodes = [e["node"] for e in body["data"]["organizations"]["edges"]]
    assert len(nodes) == ORGANIZATIONS
    partnered = [n for n in nodes if n["partnerships"]["edges"]]
    assert len(partnered) == PARTNERED
    first = partnered[0]["partnerships"]["edges"][0]["node"]
    assert len(first["organizations"]) == 2 and len(first["commitments"]["edges"]) == 1

    trace_id = body["extensions"]["traceId"]

    def finished() -> list[dict[str, Any]] | None:
        spans = spans_of(stack.settings.trace_dir, trace_id)
        root = [s for s in spans if s["service"] == "gateway" and s["parent_id"] is None]
        return spans if root else None  # the root ends last, after every call it made

    spans = eventually(finished, timeout=30)
    calls = sorted(s["name"] for s in spans if s["service"] == "gateway" and s["kind"] == "CLIENT")
    # auth, organizations, reliability, matches, partnerships, partners, commitments
    assert len(calls) <= 7, calls
