"""The tenant-isolation matrix, generated from the schema: every query, mutation and
subscription that takes an id, called by network A's operator and org admin with network B's
ids, answers NOT_FOUND (as for a missing id) and changes nothing in B. A new operation is in
the matrix automatically; one whose ids cannot be made yet must be listed in PENDING. Run by
tests/integration/gateway/test_isolation.py and by the drills."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from gql import Client as GqlClient
from gql import gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    Undefined,
    get_named_type,
    is_leaf_type,
    is_non_null_type,
)

from deploy.stack import Stack
from services.gateway.schema import build_schema
from tests.support.links import links_of, network_side, propose
from tests.support.matches import matches_of
from tests.support.organizations import outreach_and_funder, register
from tests.support.partnerships import COMMIT, form
from tests.support.stack import Client, codes, create_network
from tests.support.wait import eventually

SCHEMA = build_schema()._schema
KINDS = (
    "organization",
    "network",
    "notification",
    "member",
    "partnership",
    "commitment",
    "match",
    "need",
    "webhook",
    "milestone",
    "update",
    "contribution",
    "checkin",
    "feedback",
    "link",
)
# `id` arguments whose kind the field name does not tell.
ID_KIND = {"node": "organization"}
# Operations whose ids this test cannot make in network B yet (their owners are building
# them); each entry is reported. Remove an entry once the kind can be made in `b_ids`.
PENDING: dict[str, str] = {}


def kind_of(name: str, operation: str) -> str:
    if name in ("id", "ids"):
        if operation in ID_KIND:
            return ID_KIND[operation]
        lowered = operation.lower()
        return next((k for k in KINDS if k in lowered), operation)
    base = re.sub(r"Ids?$", "", name).lower()
    return next((k for k in KINDS if base.endswith(k)), base)


@dataclass
class Probe:
    root: str
    name: str
    field: GraphQLField
    kinds: set[str]


def id_kinds(name: str, type_: GraphQLInputType, operation: str, seen: set[str]) -> set[str]:
    named = get_named_type(type_)
    if isinstance(named, GraphQLScalarType) and named.name == "ID":
        return {kind_of(name, operation)}
    if isinstance(named, GraphQLInputObjectType) and named.name not in seen:
        return {
            kind
            for field_name, field in named.fields.items()
            for kind in id_kinds(field_name, field.type, operation, seen | {named.name})
        }
    return set()


def probes() -> list[Probe]:
    found = []
    for root in (SCHEMA.query_type, SCHEMA.mutation_type, SCHEMA.subscription_type):
        if root is None:
            continue
        for name, field in root.fields.items():
            kinds = {
                kind
                for arg_name, arg in field.args.items()
                for kind in id_kinds(arg_name, arg.type, name, set())
            }
            if kinds:
                found.append(Probe(root.name, name, field, kinds))
    return found


def value_for(name: str, type_: GraphQLInputType, operation: str, ids: dict[str, str]) -> Any:
    if isinstance(type_, GraphQLNonNull):
        return value_for(name, type_.of_type, operation, ids)
    if isinstance(type_, GraphQLList):
        return [value_for(name, type_.of_type, operation, ids)]
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLInputObjectType):
        return {
            field_name: value_for(field_name, field.type, operation, ids)
            for field_name, field in type_.fields.items()
            if needed(field) or id_kinds(field_name, field.type, operation, set())
        }
    assert isinstance(type_, GraphQLScalarType)
    return {
        "ID": lambda: ids[kind_of(name, operation)],
        "Int": lambda: 1,
        "Float": lambda: 1.0,
        "Boolean": lambda: False,
        "DateTime": lambda: "2030-01-01T00:00:00+00:00",
        "JSON": lambda: {},
    }.get(type_.name, lambda: "probe@example.org" if "mail" in name.lower() else "probe")()


def needed(arg: GraphQLArgument | GraphQLInputField) -> bool:
    return is_non_null_type(arg.type) and arg.default_value is Undefined


def selection(type_: Any) -> str:
    named = get_named_type(type_)
    if is_leaf_type(named):
        return ""
    assert isinstance(named, GraphQLObjectType) or hasattr(named, "fields")
    return "{ __typename }"


def document(probe: Probe, ids: dict[str, str]) -> tuple[str, dict[str, Any]]:
    args = {
        name: arg
        for name, arg in probe.field.args.items()
        if needed(arg) or id_kinds(name, arg.type, probe.name, set())
    }
    variables = {name: value_for(name, arg.type, probe.name, ids) for name, arg in args.items()}
    declared = ", ".join(f"${name}: {arg.type}" for name, arg in args.items())
    passed = ", ".join(f"{name}: ${name}" for name in args)
    operation = probe.root.lower()
    call = f"{probe.name}({passed}) {selection(probe.field.type)}"
    return f"{operation} Probe({declared}) {{ {call} }}", variables


def make_network_b(stack: Stack) -> dict[str, Any]:
    """Network B with one id of every kind, its inbox settled."""
    b = create_network(stack, name="Network B")
    operator = Client(stack.graphql_url, b["operatorToken"])
    org = register(operator, b["networkId"], "B Pantry")
    admin = operator.as_(org["adminToken"])
    # open to linked networks: yet no network is linked with B, so nothing of it shows
    admin.data(
        "mutation($id: ID!, $i: UpdateOrganizationInput!) { updateOrganization(id: $id, "
        "input: $i) { id } }",
        {"id": org["organization"]["id"], "i": {"openToOtherNetworks": True, "virtualReady": True}},
    )
    me = admin.data("{ me { memberId } }")["me"]

    def first_notification() -> str | None:
        edges = admin.data("{ notifications(first: 1) { edges { node { id } } } }")
        found = edges["notifications"]["edges"]
        return found[0]["node"]["id"] if found else None

    ids = {
        "network": b["networkId"],
        "organization": org["organization"]["id"],
        "member": me["memberId"],
        "notification": eventually(first_notification, timeout=30),
        "match": a_match(operator, b["networkId"]),
        "need": a_need(admin, b["networkId"]),
        "webhook": admin.data(
            "mutation($i: RegisterWebhookInput!) { registerWebhook(input: $i) { webhook { id } } }",
            {"i": {"url": "http://127.0.0.1:9/hook", "organizationId": org["organization"]["id"]}},
        )["registerWebhook"]["webhook"]["id"],
    }
    # B's link with a third network: only their two operators may see or move it.
    third = network_side(stack, "Network C")
    ids["link"] = propose(operator, b["networkId"], third.network_id, "B and C")["id"]
    partner = register(operator, b["networkId"], "B Library")["organization"]["id"]
    ids["partnership"] = form(operator, "B together", [ids["organization"], partner])["id"]
    due = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    ids["commitment"] = operator.data(
        COMMIT,
        {"i": {"partnershipId": ids["partnership"], "ownerOrganizationId": partner,
               "title": "Lend the hall", "dueAt": due}},
    )["makeCommitment"]["id"]  # fmt: skip
    ids["update"] = admin.data(
        "mutation($i: PostPartnershipUpdateInput!) { postPartnershipUpdate(input: $i) { id } }",
        {"i": {"partnershipId": ids["partnership"], "kind": "PROGRESS", "text": "Hall booked"}},
    )["postPartnershipUpdate"]["id"]

    def kinds() -> set[str]:
        edges = admin.data("{ notifications(first: 50) { edges { node { kind } } } }")
        return {e["node"]["kind"] for e in edges["notifications"]["edges"]}

    # B's inbox must be settled before the matrix compares it before and after.
    eventually(lambda: "commitment.made" in kinds(), timeout=30)
    return {"ids": ids, "admin": admin, "operator": operator}


def a_match(operator: Client, network_id: str) -> str:
    outreach, _ = outreach_and_funder(operator, network_id)
    admin = operator.as_(outreach["adminToken"])
    found = eventually(lambda: matches_of(admin, outreach["organization"]["id"]), timeout=30)
    match_id: str = found[0]["id"]
    return match_id


async def subscription_codes(
    stack: Stack, caller: Client, query: str, variables: dict[str, Any]
) -> list[str]:
    """The error codes a subscription answers over graphql-transport-ws (DATA if it streams)."""
    transport = WebsocketsTransport(
        url=stack.graphql_url.replace("http://", "ws://"),
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
        init_payload={"Authorization": f"Bearer {caller.token}"},
    )
    async with GqlClient(transport=transport) as session:
        try:
            async for _ in session.subscribe(gql(query), variable_values=variables):
                return ["DATA"]
        except TransportQueryError as exc:
            return [e.get("extensions", {}).get("code", "?") for e in exc.errors or []]
    return []


def a_need(reporter: Client, network_id: str) -> str:
    reported = reporter.data(
        "mutation($i: ReportNeedInput!) { reportNeed(input: $i) { need { id } } }",
        {"i": {"networkId": network_id, "title": "Food for seniors", "focusArea": "food",
               "area": "B Town", "severity": 3}},
    )  # fmt: skip
    need_id: str = reported["reportNeed"]["need"]["id"]
    return need_id


def state_of(b: dict[str, Any]) -> Any:
    admin: Client = b["admin"]
    return admin.data(
        "query S($id: ID!, $net: ID!, $need: ID!, $p: ID!) { organization(id: $id) { name "
        "mission archived } unreadNotificationCount "
        "notifications(first: 50) { edges { node { id read } } } "
        "network(id: $net) { name } need(id: $need) { version severity } "
        "organizations(networkId: $net) { edges { node { id } } } "
        "needs(networkId: $net) { edges { node { id version } } } "
        "partnership(id: $p) { status roles { title responsibilities } health { score } "
        "commitments { edges { node { id status } } } checkIns { edges { node { id } } } "
        "milestones { edges { node { id } } } contributions { edges { node { id } } } "
        "feedback { edges { node { id } } } } }",
        {
            "id": b["ids"]["organization"],
            "net": b["ids"]["network"],
            "need": b["ids"]["need"],
            "p": b["ids"]["partnership"],
        },
    )


@dataclass
class Matrix:
    checked: list[str]
    calls: int
    failures: list[tuple[str, list[str], Any]]
    changed: list[str]  # what changed in network B (must be nothing)


def run_matrix(stack: Stack, network_b: dict[str, Any]) -> Matrix:
    """Every probe called by network A's operator and an org admin of A with B's ids; what
    answered otherwise than NOT_FOUND, and whether anything of B's changed."""
    a = create_network(stack, name="Network A")
    operator_a = Client(stack.graphql_url, a["operatorToken"])
    admin_a = operator_a.as_(register(operator_a, a["networkId"], "A Pantry")["adminToken"])
    # a link A proposed and B has not accepted opens nothing
    proposed = propose(operator_a, a["networkId"], network_b["ids"]["network"])["id"]
    before = state_of(network_b)
    ids: dict[str, str] = network_b["ids"]

    checked: list[str] = []
    failures: list[tuple[str, list[str], Any]] = []
    calls = 0
    for probe in probes():
        missing = probe.kinds - ids.keys()
        if probe.name in PENDING or missing:
            assert probe.name in PENDING, (
                f"{probe.root}.{probe.name} takes {sorted(missing)} ids this matrix cannot make "
                "in network B yet: teach `network_b` to make them, or list it in PENDING"
            )
            continue
        query, variables = document(probe, ids)
        for caller in (operator_a, admin_a):
            calls += 1
            if probe.root == "Subscription":
                got = asyncio.run(subscription_codes(stack, caller, query, variables))
                if got != ["NOT_FOUND"]:
                    failures.append((probe.name, got, None))
                continue
            body = caller.execute(query, variables)
            got = codes(body.get("errors") or [])
            if got != ["NOT_FOUND"] or (body.get("data") or {}).get(probe.name) is not None:
                failures.append((probe.name, got, body.get("errors")))
        checked.append(probe.name)

    after = state_of(network_b)
    # B's inbox may still grow (suggestions arrive when they arrive); what must not change is
    # anything already there: no notification of B's was read or removed from outside.
    inbox_before, inbox_after = (
        {e["node"]["id"]: e["node"]["read"] for e in s.pop("notifications")["edges"]}
        for s in (before, after)
    )
    before.pop("unreadNotificationCount"), after.pop("unreadNotificationCount")
    changed = [key for key in before if before[key] != after.get(key)]
    changed += [i for i, read in inbox_before.items() if inbox_after.get(i) != read]
    b_links = links_of(network_b["operator"], ids["network"])
    if {(x["id"], x["status"]) for x in b_links} != {
        (ids["link"], "PROPOSED"), (proposed, "PROPOSED"),
    }:  # fmt: skip
        changed.append(f"network B's links: {b_links}")
    return Matrix(checked, calls, failures, changed)
