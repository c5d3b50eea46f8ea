"""An `Idempotency-Key` works on every mutation that writes something new, not only intake's:
a retried partnership write or webhook registration answers its first answer and records
nothing twice; the same key with another request is a CONFLICT."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from deploy.stack import Stack
from tests.support.matches import RESPOND, matches_of
from tests.support.organizations import outreach_and_funder, register
from tests.support.partnerships import CHECK_IN, COMMIT, FORM, UPDATE
from tests.support.stack import Client, codes, create_network
from tests.support.wait import eventually

CHECK_INS = "query($id: ID!) { partnership(id: $id) { checkIns { edges { node { id } } } } }"
PARTNERSHIPS = "query($n: ID!) { partnerships(networkId: $n) { edges { node { id } } } }"
REGISTER_WEBHOOK = """mutation($i: RegisterWebhookInput!) {
  registerWebhook(input: $i) { secret webhook { id } } }"""


def new_key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def test_partnership_writes_happen_once_per_key(stack: Stack) -> None:
    net = create_network(stack, name="Retrying Network")
    operator = Client(stack.graphql_url, net["operatorToken"])
    a = register(operator, net["networkId"], "Retry Garden")
    b = register(operator, net["networkId"], "Retry School")
    admin = operator.as_(a["adminToken"])
    ids = [a["organization"]["id"], b["organization"]["id"]]

    formed = {"i": {"name": "Retry pair", "organizationIds": ids}}
    key = new_key()
    first = admin.data(FORM, formed, headers=key)["formPartnership"]
    assert admin.data(FORM, formed, headers=key)["formPartnership"] == first
    listed = operator.data(PARTNERSHIPS, {"n": net["networkId"]})["partnerships"]["edges"]
    assert [e["node"]["id"] for e in listed] == [first["id"]]
    pid = first["id"]

    check_in = {"i": {"partnershipId": pid, "heldAt": datetime.now(UTC).isoformat()}}
    key = new_key()
    recorded = admin.data(CHECK_IN, check_in, headers=key)["recordCheckIn"]
    assert admin.data(CHECK_IN, check_in, headers=key)["recordCheckIn"] == recorded
    found = admin.data(CHECK_INS, {"id": pid})["partnership"]["checkIns"]["edges"]
    assert [e["node"]["id"] for e in found] == [recorded["id"]]
    # the same key with another request: refused, nothing written
    other = {"i": {**check_in["i"], "updates": ["something else"]}}
    assert codes(admin.errors(CHECK_IN, other, headers=key)) == ["CONFLICT"]
    assert len(admin.data(CHECK_INS, {"id": pid})["partnership"]["checkIns"]["edges"]) == 1

    due = (datetime.now(UTC) + timedelta(days=10)).isoformat()
    made = {"partnershipId": pid, "ownerOrganizationId": ids[0], "title": "Flyers", "dueAt": due}
    commitment = admin.data(COMMIT, {"i": made})["makeCommitment"]
    close = {"id": commitment["id"], "s": "DONE"}
    key = new_key()
    closed = admin.data(UPDATE, close, headers=key)["updateCommitment"]
    # a retry of the close answers the close; without the key it is a second close: CONFLICT
    assert admin.data(UPDATE, close, headers=key)["updateCommitment"] == closed
    assert codes(admin.errors(UPDATE, close)) == ["CONFLICT"]


def test_a_retried_webhook_registration_answers_the_same_webhook_and_secret(
    stack: Stack,
) -> None:
    net = create_network(stack, name="Webhook Retry Network")
    operator = Client(stack.graphql_url, net["operatorToken"])
    org = register(operator, net["networkId"], "Hooked Org")
    admin = operator.as_(org["adminToken"])
    body = {"i": {"url": "http://127.0.0.1:9/hook", "organizationId": org["organization"]["id"]}}
    key = new_key()
    first = admin.data(REGISTER_WEBHOOK, body, headers=key)["registerWebhook"]
    assert admin.data(REGISTER_WEBHOOK, body, headers=key)["registerWebhook"] == first
    # without a key a second registration is a second webhook with its own secret
    second = admin.data(REGISTER_WEBHOOK, body)["registerWebhook"]
    assert second["webhook"]["id"] != first["webhook"]["id"]
    assert second["secret"] != first["secret"]


def test_a_retried_answer_to_a_match_answers_the_first_answer(stack: Stack) -> None:
    net = create_network(stack, name="Answer Retry Network")
    operator = Client(stack.graphql_url, net["operatorToken"])
    outreach, _ = outreach_and_funder(operator, net["networkId"])
    admin = operator.as_(outreach["adminToken"])
    match = eventually(lambda: matches_of(admin, outreach["organization"]["id"]), timeout=30)[0]
    answer = {"id": match["id"], "d": "ACCEPT"}
    key = new_key()
    first = admin.data(RESPOND, answer, headers=key)["respondToMatch"]
    assert admin.data(RESPOND, answer, headers=key)["respondToMatch"] == first
    assert codes(admin.errors(RESPOND, answer)) == ["CONFLICT"]  # no key: answered already
