"""Matching across the real stack: complementary organizations registered through GraphQL get
explained suggestions; both admins accept and match.accepted reaches Kafka; answers are
checked (FORBIDDEN, CONFLICT, NOT_FOUND across networks)."""

from __future__ import annotations

from deploy.stack import Stack
from tests.support.matches import RESPOND, accepted_events, matches_of, matching_version
from tests.support.organizations import outreach_and_funder, register_profile
from tests.support.stack import Client, codes, create_network
from tests.support.wait import eventually

UPDATE = """
mutation U($id: ID!, $input: UpdateOrganizationInput!) {
  updateOrganization(id: $id, input: $input) { id } }
"""


async def test_complementary_organizations_match_and_both_accept(stack: Stack) -> None:
    net = create_network(stack, name="Matching Network")
    operator = Client(stack.graphql_url, net["operatorToken"])
    register_profile(operator, net["networkId"], "Lane Youth Soccer", focusAreas=["sports"])
    outreach, funder = outreach_and_funder(operator, net["networkId"])
    newcomer = operator.as_(outreach["adminToken"])
    outreach_id, funder_id = outreach["organization"]["id"], funder["organization"]["id"]

    found = eventually(lambda: matches_of(newcomer, outreach_id), timeout=30)
    best = found[0]
    assert {p["organizationId"] for p in best["parties"]} == {outreach_id, funder_id}
    assert "Lane Community Foundation offers funding, which you need" in best["reasons"]
    assert "Both work on community health" in best["reasons"]
    assert any("overlap on Tuesdays" in r for r in best["reasons"])
    assert {c["name"] for c in best["components"]} >= {"shared_goals", "complementarity"}
    assert 0 <= best["score"] <= 1 and best["status"] == "SUGGESTED"

    # the operator may read but not answer; a plain member of another org is FORBIDDEN
    assert codes(operator.errors(RESPOND, {"id": best["id"], "d": "ACCEPT"})) == ["FORBIDDEN"]
    first = newcomer.data(RESPOND, {"id": best["id"], "d": "ACCEPT"})["respondToMatch"]
    assert first["status"] == "SUGGESTED"
    again = newcomer.errors(RESPOND, {"id": best["id"], "d": "DECLINE"})
    assert codes(again) == ["CONFLICT"]
    other = create_network(stack, name="Elsewhere")
    stranger = Client(stack.graphql_url, other["operatorToken"])
    assert codes(stranger.errors(RESPOND, {"id": best["id"], "d": "ACCEPT"})) == ["NOT_FOUND"]

    both = operator.as_(funder["adminToken"]).data(RESPOND, {"id": best["id"], "d": "ACCEPT"})
    assert both["respondToMatch"]["status"] == "ACCEPTED"
    events = await accepted_events(stack, best["id"])
    assert events, "match.accepted did not reach Kafka"
    event = events[0]
    assert {p["organization_id"] for p in event["parties"]} == {outreach_id, funder_id}
    assert event["offers"][funder_id] == ["funding"]
    assert event["time_zone"] == "America/Los_Angeles"


async def test_a_declined_pair_is_not_suggested_again(stack: Stack) -> None:
    net = create_network(stack, name="Declining Network")
    operator = Client(stack.graphql_url, net["operatorToken"])
    outreach, funder = outreach_and_funder(operator, net["networkId"])
    admin, funder_admin = operator.as_(outreach["adminToken"]), operator.as_(funder["adminToken"])
    outreach_id, funder_id = outreach["organization"]["id"], funder["organization"]["id"]
    match = eventually(lambda: matches_of(admin, outreach_id), timeout=30)[0]
    declined = admin.data(RESPOND, {"id": match["id"], "d": "DECLINE"})["respondToMatch"]
    assert declined["status"] == "DECLINED"
    # a profile change recomputes suggestions for the funder; once matching has taken it in
    # (the change and the recomputation commit together), the pair is still declined
    mission = "Grants for community health, family wellbeing and door-to-door outreach"
    funder_admin.data(UPDATE, {"id": funder_id, "input": {"mission": mission}})
    eventually(lambda: matching_version(stack, funder_id) == 2, timeout=30)
    assert matches_of(admin, outreach_id) == []
    assert matches_of(funder_admin, funder_id) == []
