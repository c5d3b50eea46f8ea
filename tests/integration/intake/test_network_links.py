"""Links between regional networks through GraphQL: one operator proposes, the other accepts
or declines, either ends it; each sees its links from its side; no one else can see or move
them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from deploy.stack import Stack
from tests.support.links import (
    LINKS,
    PROPOSE,
    RESPOND,
    STEPS,
    links_of,
    matched_across,
    network_side,
    open_profile,
    partners_of,
    propose,
    register_in,
    step,
)
from tests.support.partnerships import COMMIT
from tests.support.stack import Client
from tests.support.wait import eventually


def codes(errors: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    return [(e["extensions"]["code"], e["extensions"].get("field")) for e in errors]


def test_a_proposal_is_seen_from_both_sides_accepted_and_ended(stack: Stack) -> None:
    lane = network_side(stack, "Lane Links")
    marion = network_side(stack, "Marion Links", time_zone="America/Chicago")
    proposed = propose(lane.operator, lane.network_id, marion.network_id, "Virtual tutoring")
    assert proposed["status"] == "PROPOSED" and proposed["incoming"] is False
    assert proposed["otherNetwork"] == {
        "id": marion.network_id, "name": "Marion Links", "region": "Lane County",
    }  # fmt: skip

    [incoming] = links_of(marion.operator, marion.network_id)
    assert (incoming["id"], incoming["incoming"], incoming["note"]) == (
        proposed["id"], True, "Virtual tutoring",
    )  # fmt: skip
    assert incoming["otherNetwork"]["name"] == "Lane Links"

    accepted = step(marion.operator, "accept", proposed["id"])
    assert accepted["status"] == "ACTIVE" and accepted["acceptedAt"] is not None
    [seen_by_lane] = links_of(lane.operator, lane.network_id)
    assert seen_by_lane["status"] == "ACTIVE" and seen_by_lane["endedAt"] is None

    ended = step(lane.operator, "end", proposed["id"])
    assert ended["status"] == "ENDED" and ended["endedAt"] is not None
    assert [link["status"] for link in links_of(marion.operator, marion.network_id)] == ["ENDED"]


def test_only_the_network_asked_answers_and_each_step_only_in_its_state(stack: Stack) -> None:
    lane, linn = network_side(stack, "Lane Answers"), network_side(stack, "Linn Answers")
    link = propose(lane.operator, lane.network_id, linn.network_id)["id"]
    for name in ("accept", "decline"):
        errors = lane.operator.errors(STEPS[name], {"id": link})
        assert codes(errors) == [("FORBIDDEN", "linkId")]
    declined = step(linn.operator, "decline", link)
    assert declined["status"] == "DECLINED"
    for name in ("accept", "decline", "end"):
        errors = linn.operator.errors(STEPS[name], {"id": link})
        assert codes(errors) == [("CONFLICT", "linkId")]

    again = propose(linn.operator, linn.network_id, lane.network_id)  # a new proposal may follow
    errors = lane.operator.errors(PROPOSE, {"n": lane.network_id, "o": linn.network_id, "note": ""})
    assert codes(errors) == [("CONFLICT", "otherNetworkId")]
    assert errors[0]["extensions"]["existingId"] == again["id"]
    assert step(linn.operator, "end", again["id"])["status"] == "ENDED"  # withdrawn

    errors = lane.operator.errors(PROPOSE, {"n": lane.network_id, "o": lane.network_id, "note": ""})
    assert codes(errors) == [("BAD_USER_INPUT", "otherNetworkId")]


def test_members_and_other_networks_cannot_see_or_move_a_link(stack: Stack) -> None:
    lane, benton = network_side(stack, "Lane Private"), network_side(stack, "Benton Private")
    stranger = network_side(stack, "Stranger Network")
    link = propose(lane.operator, lane.network_id, benton.network_id)["id"]
    admin = lane.operator.as_(register_in(lane.operator, lane.network_id, "Lane Org")["adminToken"])

    for name in ("accept", "decline", "end"):
        assert codes(admin.errors(STEPS[name], {"id": link})) == [("FORBIDDEN", None)]
        for caller in (stranger.operator, stranger.operator.as_("not-a-token")):
            got = codes(caller.errors(STEPS[name], {"id": link}))
            assert got in ([("NOT_FOUND", "linkId")], [("UNAUTHENTICATED", None)]), got
    body = admin.execute(LINKS, {"n": lane.network_id})
    assert body["data"]["network"]["links"] is None
    assert codes(body["errors"]) == [("FORBIDDEN", None)]
    errors = stranger.operator.errors(
        PROPOSE, {"n": lane.network_id, "o": benton.network_id, "note": ""}
    )
    assert codes(errors)[0][0] == "NOT_FOUND"
    assert links_of(stranger.operator, stranger.network_id) == []
    assert [x["status"] for x in links_of(benton.operator, benton.network_id)] == ["PROPOSED"]


def test_a_proposal_sent_again_with_its_idempotency_key_answers_the_first(stack: Stack) -> None:
    lane, polk = network_side(stack, "Lane Retry"), network_side(stack, "Polk Retry")
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = propose(lane.operator, lane.network_id, polk.network_id, "Hi", headers=key)
    again = propose(lane.operator, lane.network_id, polk.network_id, "Hi", headers=key)
    assert again == first
    assert len(links_of(polk.operator, polk.network_id)) == 1
    accept = {"Idempotency-Key": uuid.uuid4().hex}
    answers = [
        Client.data(polk.operator, STEPS["accept"], {"id": first["id"]}, headers=accept)
        for _ in range(2)
    ]
    assert answers[0] == answers[1]


def test_an_organization_opts_in_to_other_networks_on_its_profile(stack: Stack) -> None:
    lane = network_side(stack, "Lane Opt-in")
    registered = register_in(lane.operator, lane.network_id, "Opt Pantry")
    admin = lane.operator.as_(registered["adminToken"])
    org_id = registered["organization"]["id"]
    read = "query($id: ID!) { organization(id: $id) { openToOtherNetworks virtualReady } }"
    assert admin.data(read, {"id": org_id})["organization"]["openToOtherNetworks"] is False
    update = """mutation($id: ID!, $i: UpdateOrganizationInput!) {
      updateOrganization(id: $id, input: $i) { openToOtherNetworks virtualReady } }"""
    changed = admin.data(update, {"id": org_id, "i": {"openToOtherNetworks": True}})
    assert changed["updateOrganization"] == {"openToOtherNetworks": True, "virtualReady": False}
    assert admin.data(read, {"id": org_id})["organization"]["openToOtherNetworks"] is True


def test_across_a_link_only_opted_in_virtual_organizations_are_suggested(stack: Stack) -> None:
    pair = matched_across(stack, "Suggest")
    assert (
        "Suggest Mentors is in Marion County, in a network linked with yours; you share 1 hour "
        "a week across your time zones"
    ) in pair.match["reasons"]
    assert pair.closed not in partners_of(pair.tutors_admin, pair.tutors)
    seen_by_mentors = partners_of(pair.mentors_admin, pair.mentors)[pair.tutors]
    assert any(r.startswith("Suggest Tutors is in Lane County") for r in seen_by_mentors["reasons"])

    # both answer: the suggestion is accepted across the link
    for admin in (pair.tutors_admin, pair.mentors_admin):
        answered = admin.data(RESPOND, {"m": pair.match["id"], "d": "ACCEPT"})["respondToMatch"]
    assert answered["status"] == "ACCEPTED"

    # once the link ends, a newly opted-in organization is suggested to no one across it
    step(pair.marion.operator, "end", pair.link_id)
    marion = pair.marion
    late = register_in(
        marion.operator,
        marion.network_id,
        "Suggest Late",
        **open_profile("MENTORING", "VOLUNTEERS"),
    )
    late_admin = marion.operator.as_(late["adminToken"])
    late_id = late["organization"]["id"]
    eventually(lambda: pair.closed in partners_of(late_admin, late_id), 30)
    assert pair.tutors not in partners_of(late_admin, late_id)
    assert partners_of(pair.tutors_admin, pair.tutors)[pair.mentors]["status"] == "ACCEPTED"


PROFILE = """query($id: ID!) { organization(id: $id) {
  id name region reliability matches { edges { node { id } } } } }"""
PARTNERSHIP = "query($id: ID!) { partnership(id: $id) { id organizationIds } }"
WORK = """query($id: ID!) { partnership(id: $id) {
  commitments { edges { node { id } } } suggestedMeetingTimes(days: 14) { start } } }"""
LISTED = "query($o: ID!) { organization(id: $o) { partnerships { edges { node { id } } } } }"
INBOX = "{ notifications(first: 50) { edges { node { kind } } } }"
PARTNERSHIPS = "query($n: ID!) { partnerships(networkId: $n) { edges { node { id } } } }"


def test_a_partnership_across_a_link_is_seen_by_its_partners_and_both_operators_only(
    stack: Stack,
) -> None:
    pair = matched_across(stack, "Seen")
    lane, marion = pair.lane, pair.marion
    # a Lane member sees the public profile of Marion's opted-in organization, nothing more
    shown = pair.tutors_admin.data(PROFILE, {"id": pair.mentors})["organization"]
    assert (shown["name"], shown["region"]) == ("Seen Mentors", "Marion County")
    assert shown["matches"]["edges"] == [] and shown["reliability"] is None
    errors = pair.tutors_admin.errors(PROFILE, {"id": pair.closed})
    assert codes(errors) == [("NOT_FOUND", None)]

    for admin in (pair.tutors_admin, pair.mentors_admin):
        admin.data(RESPOND, {"m": pair.match["id"], "d": "ACCEPT"})

    def formed() -> str | None:
        query = "query($o: ID!) { organization(id: $o) { partnerships { edges { node { id } } } } }"
        edges = pair.tutors_admin.data(query, {"o": pair.tutors})["organization"]["partnerships"]
        return edges["edges"][0]["node"]["id"] if edges["edges"] else None

    partnership = eventually(formed, timeout=30)

    def told(admin: Client) -> bool:
        edges = admin.data(INBOX)["notifications"]["edges"]
        return any(e["node"]["kind"] == "partnership.formed" for e in edges)

    for admin in (pair.tutors_admin, pair.mentors_admin):  # notified in either network
        eventually(partial(told, admin), timeout=30)
    readers = [pair.tutors_admin, pair.mentors_admin, lane.operator, marion.operator]
    for reader in readers:
        found = reader.data(PARTNERSHIP, {"id": partnership})["partnership"]
        assert set(found["organizationIds"]) == {pair.tutors, pair.mentors}
    for side in (lane, marion):
        listed = side.operator.data(PARTNERSHIPS, {"n": side.network_id})["partnerships"]
        assert partnership in {e["node"]["id"] for e in listed["edges"]}
    bystander = lane.operator.as_(
        register_in(lane.operator, lane.network_id, "Seen Bystander")["adminToken"]
    )
    assert codes(bystander.errors(PARTNERSHIP, {"id": partnership})) == [("FORBIDDEN", None)]
    listed = bystander.data(LISTED, {"o": pair.tutors})["organization"]["partnerships"]
    assert listed["edges"] == []  # nor listed on its partner's profile
    for reader in readers:
        listed = reader.data(LISTED, {"o": pair.tutors})["organization"]["partnerships"]
        assert [e["node"]["id"] for e in listed["edges"]] == [partnership]
    stranger = network_side(stack, "Seen Stranger").operator
    assert codes(stranger.errors(PARTNERSHIP, {"id": partnership}))[0][0] == "NOT_FOUND"
    assert codes(stranger.errors(PROFILE, {"id": pair.mentors}))[0][0] == "NOT_FOUND"

    # partners of both networks work in it as within one: Marion's commitment shows in Lane,
    # and the meeting times lay both time zones' Tuesday evenings side by side
    due = (datetime.now(UTC) + timedelta(days=20)).isoformat()
    made = pair.mentors_admin.data(
        COMMIT,
        {"i": {"partnershipId": partnership, "ownerOrganizationId": pair.mentors,
               "title": "Two mentors on Tuesdays", "dueAt": due}},
    )["makeCommitment"]  # fmt: skip
    work = pair.tutors_admin.data(WORK, {"id": partnership})["partnership"]
    assert [e["node"]["id"] for e in work["commitments"]["edges"]] == [made["id"]]
    assert work["suggestedMeetingTimes"], work

    # the link ends: the profile is out of sight again, the partnership stays with its partners
    step(lane.operator, "end", pair.link_id)
    assert codes(pair.tutors_admin.errors(PROFILE, {"id": pair.mentors}))[0][0] == "NOT_FOUND"
    for reader in readers:
        assert reader.data(PARTNERSHIP, {"id": partnership})["partnership"]["id"] == partnership
