"""One message per person, not one per suggestion, across the real stack: twelve similar
organizations are in a network and a thirteenth registers. Its admin gets the welcome and one
message listing its suggested partners; of the twelve, only those whose own top 3 open
suggestions the newcomer enters hear of it at once (the rest find it in their matches)."""

from __future__ import annotations

import time
from typing import Any

from deploy.stack import Stack
from tests.support.matches import matches_of, matching_version
from tests.support.organizations import register_profile
from tests.support.stack import Client, create_network
from tests.support.wait import eventually

KINDS = ["FUNDING", "VENUE", "MATERIALS", "TRANSPORT", "EXPERTISE", "COUNSELING"]
INBOX = "{ notifications(first: 50) { edges { node { kind title body } } } }"
NEWCOMER = "Riverside Tutors"
# close to a few of the twelve, further from the others
NEWCOMER_PROFILE = {
    "mission": "Food security and transport for families",
    "focusAreas": ["education", "food security"],
    "offers": [{"kind": "OUTREACH"}],
    "needs": [{"kind": "TRANSPORT"}],
}


def inbox(client: Client) -> list[dict[str, Any]]:
    return [e["node"] for e in client.data(INBOX)["notifications"]["edges"]]


def similar(i: int) -> dict[str, Any]:
    """Twelve organizations around education, each a little different from the next."""
    return {
        "mission": "After-school tutoring and meals for families" + " in Lane" * (i % 3),
        "focusAreas": ["education", "youth", "food security"][: 1 + i % 3],
        "offers": [{"kind": KINDS[i % len(KINDS)]}, *([{"kind": "MENTORING"}] * (i % 2))],
        "needs": [{"kind": "VOLUNTEERS" if i % 4 else "OUTREACH"}],
    }


def parties(match: dict[str, Any]) -> set[str]:
    return {p["organizationId"] for p in match["parties"]}


def rank_in(listed: list[dict[str, Any]], match_id: str) -> int:
    """The match's place among these open suggestions (the best ten), best first; a tie goes
    to the others."""
    mine = next((m for m in listed if m["id"] == match_id), None)
    if mine is None:
        return len(listed) + 1  # behind the best ten
    open_ = [m for m in listed if m["status"] == "SUGGESTED" and m["id"] != match_id]
    return 1 + sum(1 for m in open_ if m["score"] >= mine["score"])


def test_a_newcomer_gets_one_message_and_only_those_whose_top_3_it_enters_hear_of_it(
    stack: Stack,
) -> None:
    net = create_network(stack, name="Fan-out Network")
    operator = Client(stack.graphql_url, net["operatorToken"])
    existing: dict[str, Client] = {}
    for i in range(12):
        found = register_profile(operator, net["networkId"], f"Learning Hub {i}", **similar(i))
        org_id = found["organization"]["id"]
        existing[org_id] = operator.as_(found["adminToken"])
        # one after another, as they would arrive: each list is what it was at its time
        eventually(lambda o=org_id: matching_version(stack, o) == 1, timeout=30)

    found = register_profile(operator, net["networkId"], NEWCOMER, **NEWCOMER_PROFILE)
    newcomer_id, newcomer = found["organization"]["id"], operator.as_(found["adminToken"])

    def suggestions_message() -> list[dict[str, Any]]:
        return [n for n in inbox(newcomer) if n["kind"] == "matches.suggested"]

    [message] = eventually(suggestions_message, timeout=60)
    time.sleep(3)  # anything else the registration sets off has had its time to arrive
    messages = inbox(newcomer)
    assert sorted(n["kind"] for n in messages) == ["matches.suggested", "organization.registered"]
    suggested = matches_of(newcomer, newcomer_id)
    assert len(suggested) == 10  # COMMONWEAVE_MATCH_SUGGESTIONS_PER_ORGANIZATION
    assert message["title"] == f"10 partner suggestions for {NEWCOMER}"
    for match in suggested:
        [partner] = [p for p in match["parties"] if p["organizationId"] != newcomer_id]
        assert f"• {partner['name']}: {match['reasons'][0]}." in message["body"]

    told, waiting = set(), set()
    for org_id, admin in existing.items():
        heard = [n for n in inbox(admin) if n["title"] == f"New partner suggestion: {NEWCOMER}"]
        assert len(heard) <= 1
        pair = next((m for m in suggested if org_id in parties(m)), None)
        if pair is None:  # not among the newcomer's ten: nothing to tell
            assert heard == []
            continue
        rank = rank_in(matches_of(admin, org_id), pair["id"])
        (told if rank <= 3 else waiting).add(org_id)
        assert len(heard) == (1 if rank <= 3 else 0), (org_id, rank)
    assert told and waiting, (told, waiting)  # the rule told some apart
