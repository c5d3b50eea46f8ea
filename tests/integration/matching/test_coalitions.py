"""A community need across the real stack: a need.reported event (as intake publishes it) gets
coalitions through GraphQL, its best coalition is suggested to every member, and when all
accept, match.accepted carries the need id. Another network's need is NOT_FOUND."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Any

from deploy.stack import Stack
from shared.contracts import NeedProfile, NeedReported
from tests.support.events import produce
from tests.support.matches import RESPOND, accepted_events, matches_of
from tests.support.organizations import register_profile
from tests.support.stack import Client, codes, create_network
from tests.support.wait import eventually

COALITIONS = """
query C($id: ID!) { coalitions(needId: $id, first: 3) {
  score uncoveredResources organizations { organizationId name covers alignment } } }
"""
NEED_MATCHES = """
query M($id: ID!) { matches(organizationId: $id, first: 10) { edges { node {
  id needId status reasons parties { organizationId } } } } }
"""


async def test_a_need_gets_a_coalition_whose_members_accept_together(stack: Stack) -> None:
    net = create_network(stack, name="Coalition Network")
    operator = Client(stack.graphql_url, net["operatorToken"])
    counselors = register_profile(
        operator, net["networkId"], "Eastside Counselors", focusAreas=["mental health"],
        offers=[{"kind": "COUNSELING"}], populationsServed=["residents"],
    )  # fmt: skip
    center = register_profile(
        operator, net["networkId"], "Eastside Community Center", focusAreas=["mental health"],
        offers=[{"kind": "VENUE"}],
    )  # fmt: skip
    register_profile(operator, net["networkId"], "Eastside Soccer", focusAreas=["sports"])
    ids = {o["organization"]["id"] for o in (counselors, center)}
    # the need event reaches matching after the profiles (it waits for its read model)
    for org in (counselors, center):
        eventually(partial(matches_of, operator, org["organization"]["id"]), timeout=30)

    need = NeedProfile(
        need_id=f"need_{uuid.uuid4().hex}", network_id=net["networkId"], version=1,
        title="Mental health support", focus_area="mental health", area="Eastside",
        severity=4, required_resources=["counseling", "venue", "interpreters"],
        affected_populations=["residents"],
    )  # fmt: skip
    await produce(
        stack.settings.kafka_bootstrap, "need.reported", need.need_id, NeedReported(need=need)
    )

    def first_coalition() -> dict[str, Any] | None:
        result = operator.execute(COALITIONS, {"id": need.need_id})
        return (
            (result.get("data") or {}).get("coalitions", [None])[0]
            if not result.get("errors")
            else None
        )

    best = eventually(first_coalition, timeout=30)
    assert {m["organizationId"] for m in best["organizations"]} == ids
    assert best["uncoveredResources"] == ["interpreters"]
    stranger = Client(stack.graphql_url, create_network(stack, name="Far")["operatorToken"])
    assert codes(stranger.errors(COALITIONS, {"id": need.need_id})) == ["NOT_FOUND"]

    def coalition_match() -> dict[str, Any] | None:
        edges = operator.data(NEED_MATCHES, {"id": counselors["organization"]["id"]})["matches"]
        return next(
            (e["node"] for e in edges["edges"] if e["node"]["needId"] == need.need_id), None
        )

    match = eventually(coalition_match, timeout=30)
    assert {p["organizationId"] for p in match["parties"]} == ids
    assert "Nobody in the network offers interpreters yet" in match["reasons"]
    for org in (counselors, center):
        answered = operator.as_(org["adminToken"]).data(RESPOND, {"id": match["id"], "d": "ACCEPT"})
    assert answered["respondToMatch"]["status"] == "ACCEPTED"
    events = await accepted_events(stack, str(match["id"]))
    assert events and events[0]["need_id"] == need.need_id
