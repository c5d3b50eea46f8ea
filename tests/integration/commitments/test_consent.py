"""Consent through GraphQL: a commitment a partner makes for another organization is PROPOSED,
cannot be closed and counts for nothing until a member of that organization accepts it; the
maker cannot accept it for them; a declined one never counts; one made for the maker's own
organization is OPEN at once. The owner hears of the proposal in its inbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from deploy.stack import Stack
from tests.support.organizations import register_admin
from tests.support.partnerships import COMMIT, UPDATE, form
from tests.support.stack import Client, create_network
from tests.support.wait import eventually

ACCEPT = "mutation($id: ID!) { acceptCommitment(id: $id) { id status } }"
DECLINE = 'mutation($id: ID!) { declineCommitment(id: $id, note: "No van") { id status note } }'
STANDING = """query($p: ID!, $o: ID!) { partnership(id: $p) { health { score label }
  commitments { edges { node { id status } } } } organization(id: $o) { reliability } }"""
INBOX = "{ notifications(first: 50) { edges { node { kind title } } } }"


def codes(client: Client, query: str, variables: dict[str, str]) -> list[str]:
    return [e["extensions"]["code"] for e in client.errors(query, variables)]


def test_a_commitment_for_another_organization_counts_only_once_it_accepts(
    stack: Stack,
) -> None:
    net = create_network(stack, name="Consent Network")
    operator = Client(stack.graphql_url, net["operatorToken"])
    pantry, pantry_admin = register_admin(operator, net["networkId"], "Pantryc")
    school, school_admin = register_admin(operator, net["networkId"], "Schoolc")
    pid = form(operator, "Pantry & School", [pantry, school])["id"]
    due = (datetime.now(UTC) + timedelta(days=7)).isoformat()

    def make(maker: Client, owner: str, title: str) -> dict[str, str]:
        body = {"partnershipId": pid, "ownerOrganizationId": owner, "title": title, "dueAt": due}
        made: dict[str, str] = maker.data(COMMIT, {"i": body})["makeCommitment"]
        return made

    gym = make(pantry_admin, school, "Lend the gym")
    assert gym["status"] == "PROPOSED"
    assert make(pantry_admin, pantry, "Bring the food")["status"] == "OPEN"
    assert codes(school_admin, UPDATE, {"id": gym["id"], "s": "MISSED"}) == ["CONFLICT"]
    assert codes(pantry_admin, ACCEPT, {"id": gym["id"]}) == ["FORBIDDEN"]
    assert codes(operator, ACCEPT, {"id": gym["id"]}) == ["FORBIDDEN"]
    standing = school_admin.data(STANDING, {"p": pid, "o": school})
    assert standing["organization"]["reliability"] is None
    assert standing["partnership"]["health"]["label"] == "new"

    def titles() -> set[str]:
        return {e["node"]["title"] for e in school_admin.data(INBOX)["notifications"]["edges"]}

    eventually(lambda: "Proposed commitment: Lend the gym" in titles(), timeout=30)

    assert school_admin.data(ACCEPT, {"id": gym["id"]})["acceptCommitment"]["status"] == "OPEN"
    assert codes(school_admin, ACCEPT, {"id": gym["id"]}) == ["CONFLICT"]
    school_admin.data(UPDATE, {"id": gym["id"], "s": "MISSED"})
    standing = school_admin.data(STANDING, {"p": pid, "o": school})
    # One missed promise, smoothed by two imaginary neutral ones: (0 + 0.5 * 2) / 3.
    assert standing["organization"]["reliability"] == 0.3333
    assert standing["partnership"]["health"]["score"] == 0.0

    van = make(pantry_admin, school, "Drive the van")
    declined = school_admin.data(DECLINE, {"id": van["id"]})["declineCommitment"]
    assert (declined["status"], declined["note"]) == ("DECLINED", "No van")
    after = school_admin.data(STANDING, {"p": pid, "o": school})
    assert after["organization"] == standing["organization"]
    assert after["partnership"]["health"] == standing["partnership"]["health"]
    statuses = {
        e["node"]["id"]: e["node"]["status"] for e in after["partnership"]["commitments"]["edges"]
    }
    assert (statuses[gym["id"]], statuses[van["id"]]) == ("MISSED", "DECLINED")
