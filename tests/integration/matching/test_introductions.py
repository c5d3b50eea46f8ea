"""An operator's introduction through GraphQL: the operator introduces two organizations with a
note; each hears of it in its inbox with the note as the first reason, answers it with
`respondToMatch` as any suggestion, and the partnership forms when both accept. Members
cannot introduce, and a second introduction of the answered pair is a CONFLICT naming it."""

from __future__ import annotations

from typing import Any

from deploy.stack import Stack
from tests.support.organizations import register_admin
from tests.support.stack import Client, create_network
from tests.support.wait import eventually

INTRODUCE = """mutation($i: ProposeIntroductionInput!) {
  proposeIntroduction(input: $i) {
    id status reasons introducedBy note parties { organizationId name } } }"""
RESPOND = """mutation($m: ID!) { respondToMatch(matchId: $m, decision: ACCEPT) { id status } }"""
PARTNERSHIPS = """query($o: ID!) { organization(id: $o) {
  partnerships { edges { node { matchId name } } } } }"""
INBOX = "{ notifications(first: 50) { edges { node { kind body } } } }"
NOTE = "You both asked me about a summer reading club"


def code(errors: list[dict[str, Any]]) -> str:
    found: str = errors[0]["extensions"]["code"]
    return found


def test_an_operator_introduces_two_organizations_who_answer_it_themselves(
    stack: Stack,
) -> None:
    net = create_network(stack, name="Introductions Network")
    operator = Client(stack.graphql_url, net["operatorToken"])
    library, library_admin = register_admin(operator, net["networkId"], "Libraryi")
    school, school_admin = register_admin(operator, net["networkId"], "Schooli")
    pair = {"i": {"organizationIds": [library, school], "note": NOTE}}

    assert code(library_admin.errors(INTRODUCE, pair)) == "FORBIDDEN"
    match = operator.data(INTRODUCE, pair)["proposeIntroduction"]
    assert match["status"] == "SUGGESTED"
    assert match["reasons"][0] == f"Introduced by your network's coordinator: {NOTE}"
    assert [p["name"] for p in match["parties"]] == ["Libraryi", "Schooli"]
    operator_id = operator.data("{ me { memberId } }")["me"]["memberId"]
    assert (match["introducedBy"], match["note"]) == (operator_id, NOTE)

    def told(admin: Client) -> bool:
        edges = admin.data(INBOX)["notifications"]["edges"]
        return any(e["node"]["kind"] == "match.suggested" and NOTE in e["node"]["body"]
                   for e in edges)  # fmt: skip

    for admin in (library_admin, school_admin):
        eventually(lambda a=admin: told(a), timeout=30)  # type: ignore[misc]

    assert library_admin.data(RESPOND, {"m": match["id"]})["respondToMatch"]["status"] == (
        "SUGGESTED"
    )
    assert school_admin.data(RESPOND, {"m": match["id"]})["respondToMatch"]["status"] == (
        "ACCEPTED"
    )

    def partnerships() -> list[dict[str, Any]]:
        found = library_admin.data(PARTNERSHIPS, {"o": library})["organization"]["partnerships"]
        return [e["node"] for e in found["edges"]]

    formed = eventually(partnerships, timeout=30)
    assert [p["matchId"] for p in formed] == [match["id"]]

    again = operator.errors(INTRODUCE, pair)
    assert code(again) == "CONFLICT"
    assert again[0]["extensions"]["existingId"] == match["id"]
