"""Partnerships formed from accepted matches (one per match, however often the event comes)
and by hand; bad input, wrong roles and other networks' ids are refused and write nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from deploy.stack import Stack
from shared.contracts import MatchAccepted, MatchParty
from tests.support.events import produce
from tests.support.matches import RESPOND, matches_of
from tests.support.organizations import outreach_and_funder, register
from tests.support.partnerships import CHECK_IN, COMMIT, PARTNERSHIP, form
from tests.support.stack import Client, codes, create_network
from tests.support.wait import eventually

PARTNERSHIPS = f"""query($n: ID!) {{ partnerships(networkId: $n, first: 50) {{
  edges {{ node {{ {PARTNERSHIP} matchId }} }} }} }}"""
FORM_ID = "mutation($i: FormPartnershipInput!) { formPartnership(input: $i) { id } }"
FEEDBACK = "mutation($i: SubmitFeedbackInput!) { submitFeedback(input: $i) { id } }"


def partnerships(client: Client, network_id: str) -> list[dict[str, Any]]:
    edges = client.data(PARTNERSHIPS, {"n": network_id})["partnerships"]["edges"]
    return [e["node"] for e in edges]


def test_accepting_a_match_forms_one_partnership(stack: Stack) -> None:
    net = create_network(stack, name="Forming Network")
    operator = Client(stack.graphql_url, net["operatorToken"])
    outreach, funder = outreach_and_funder(operator, net["networkId"])
    outreach_admin = operator.as_(outreach["adminToken"])
    funder_admin = operator.as_(funder["adminToken"])
    match = eventually(
        lambda: matches_of(outreach_admin, outreach["organization"]["id"]), timeout=30
    )[0]
    outreach_admin.data(RESPOND, {"id": match["id"], "d": "ACCEPT"})
    funder_admin.data(RESPOND, {"id": match["id"], "d": "ACCEPT"})

    formed = eventually(lambda: partnerships(operator, net["networkId"]), timeout=30)
    assert len(formed) == 1
    partnership = formed[0]
    assert partnership["matchId"] == match["id"]
    assert partnership["status"] == "FORMING"
    titles = {r["organizationId"]: r["title"] for r in partnership["roles"]}
    assert titles == {
        outreach["organization"]["id"]: "Outreach lead",
        funder["organization"]["id"]: "Funding lead",
    }
    # Each party sees it among its own partnerships.
    assert [p["id"] for p in partnerships(funder_admin, net["networkId"])] == [partnership["id"]]

    # match.accepted delivered again (another event id, same match): still one partnership.
    event = MatchAccepted(
        match_id=match["id"],
        network_id=net["networkId"],
        parties=[
            MatchParty(organization_id=o["organization"]["id"], name=o["organization"]["name"])
            for o in (outreach, funder)
        ],
        score=0.9,
    )
    asyncio.run(produce(stack.settings.kafka_bootstrap, "match.accepted", match["id"], event))
    marker = form(
        operator, "Marker", [outreach["organization"]["id"], funder["organization"]["id"]]
    )
    # The marker was formed after the redelivery was produced; once the consumer has caught
    # up past it (one partition per key), the count is final.
    eventually(lambda: len(partnerships(operator, net["networkId"])) >= 2, timeout=10)
    ids = [p["id"] for p in partnerships(operator, net["networkId"])]
    assert sorted(ids) == sorted([partnership["id"], marker["id"]])


def test_bad_input_and_strangers_are_refused_and_write_nothing(stack: Stack) -> None:
    net = create_network(stack, name="Rules Network")
    operator = Client(stack.graphql_url, net["operatorToken"])
    a, b, c = (register(operator, net["networkId"], name) for name in ("Ash", "Birch", "Cedar"))
    admin_a, admin_c = operator.as_(a["adminToken"]), operator.as_(c["adminToken"])
    ids = [a["organization"]["id"], b["organization"]["id"]]
    pid = form(admin_a, "Ash & Birch", ids)["id"]
    soon = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    good = {"partnershipId": pid, "ownerOrganizationId": ids[0], "title": "Flyers", "dueAt": soon}

    def refused(client: Client, doc: str, variables: dict[str, Any]) -> tuple[str, str | None]:
        error = client.errors(doc, variables)[0]
        return error["extensions"]["code"], error["extensions"].get("field")

    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    assert refused(admin_a, COMMIT, {"i": {**good, "dueAt": past}}) == (
        "BAD_USER_INPUT",
        "input.dueAt",
    )
    stranger = c["organization"]["id"]
    assert refused(admin_a, COMMIT, {"i": {**good, "ownerOrganizationId": stranger}}) == (
        "BAD_USER_INPUT",
        "input.ownerOrganizationId",
    )
    assert refused(admin_a, COMMIT, {"i": {**good, "title": "x" * 201}})[0] == "BAD_USER_INPUT"
    assert refused(admin_a, FEEDBACK, {"i": {"partnershipId": pid, "rating": 6}}) == (
        "BAD_USER_INPUT",
        "input.rating",
    )
    check_in = {"partnershipId": pid, "heldAt": datetime.now(UTC).isoformat()}
    assert refused(admin_c, CHECK_IN, {"i": check_in})[0] == "FORBIDDEN"
    # Forming needs an admin of one of the organizations (or the operator).
    not_mine = {"name": "Not mine", "organizationIds": ids}
    assert codes(admin_c.errors(FORM_ID, {"i": not_mine})) == ["FORBIDDEN"]
    twice = {"name": "Twice", "organizationIds": [ids[0], ids[0]]}
    assert refused(admin_a, FORM_ID, {"i": twice}) == ("BAD_USER_INPUT", "input.organizationIds")

    other = create_network(stack, name="Other Network")
    outsider = Client(stack.graphql_url, other["operatorToken"])
    assert refused(outsider, CHECK_IN, {"i": check_in})[0] == "NOT_FOUND"
    assert refused(outsider, COMMIT, {"i": good})[0] == "NOT_FOUND"

    found = admin_a.data(
        "query($id: ID!) { partnership(id: $id) { status commitments { edges { node { id } } } "
        "checkIns { edges { node { id } } } feedback { edges { node { id } } } } }",
        {"id": pid},
    )["partnership"]
    assert found == {
        "status": "FORMING",
        "commitments": {"edges": []},
        "checkIns": {"edges": []},
        "feedback": {"edges": []},
    }


UPDATE = """mutation($id: ID!, $i: UpdatePartnershipInput!) {
  updatePartnership(id: $id, input: $i) { id name goals checkInCadence needId status } }"""
REPORT_NEED = """mutation($i: ReportNeedInput!) { reportNeed(input: $i) { need { id } } }"""


def need_in(operator: Client, network_id: str) -> str:
    body = {"networkId": network_id, "title": "Creek litter", "focusArea": "environment",
            "area": "Westside", "severity": 3}  # fmt: skip
    found: str = operator.data(REPORT_NEED, {"i": body})["reportNeed"]["need"]["id"]
    return found


def test_partners_settle_a_partnerships_name_goals_cadence_and_need(stack: Stack) -> None:
    net = create_network(stack, name="Settling Network")
    operator = Client(stack.graphql_url, net["operatorToken"])
    a, b, c = (register(operator, net["networkId"], n) for n in ("Oak", "Elm", "Ash"))
    formed = form(operator, "Oak & Elm", [a["organization"]["id"], b["organization"]["id"]])
    need = need_in(operator, net["networkId"])
    changes = {"name": "Westside Creek Care", "goals": ["A clean creek"],
               "checkInCadence": "MONTHLY", "needId": need}  # fmt: skip
    admin = operator.as_(a["adminToken"])
    updated = admin.data(UPDATE, {"id": formed["id"], "i": changes})["updatePartnership"]
    assert updated == {"id": formed["id"], **changes, "status": "FORMING"}
    # a field left out stays; the operator may settle it too
    renamed = operator.data(UPDATE, {"id": formed["id"], "i": {"name": "Creek Care"}})
    assert renamed["updatePartnership"]["goals"] == ["A clean creek"]
    # not a partner, another network's need, a bad name: refused, nothing written
    outsider = operator.as_(c["adminToken"])
    assert codes(outsider.errors(UPDATE, {"id": formed["id"], "i": {"name": "Mine"}})) == [
        "FORBIDDEN"
    ]
    other = create_network(stack, name="Other Settling Network")
    foreign = need_in(Client(stack.graphql_url, other["operatorToken"]), other["networkId"])
    assert codes(admin.errors(UPDATE, {"id": formed["id"], "i": {"needId": foreign}})) == [
        "NOT_FOUND"
    ]
    assert codes(admin.errors(UPDATE, {"id": formed["id"], "i": {"name": " "}})) == [
        "BAD_USER_INPUT"
    ]
    found = operator.data(PARTNERSHIPS, {"n": net["networkId"]})["partnerships"]["edges"]
    assert [(e["node"]["name"], e["node"]["goals"]) for e in found] == [
        ("Creek Care", ["A clean creek"])
    ]
