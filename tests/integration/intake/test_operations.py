"""Intake's operations through GraphQL on the real stack: profile updates and archiving,
members, the join code, the organizations connection, idempotent mutations, and the events on
Kafka with their CloudEvents headers."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from deploy.stack import Stack
from tests.support.events import assert_cloud_event, events_of
from tests.support.organizations import (
    ADD_MEMBER,
    REGISTER,
    REMOVE_MEMBER,
    register_outreach,
    registration,
)
from tests.support.stack import Client, codes
from tests.support.wait import eventually

ORG_FIELDS = "id name mission focusAreas freeTags archived offers { kind quantity }"
UPDATE = f"""
mutation U($id: ID!, $input: UpdateOrganizationInput!) {{
  updateOrganization(id: $id, input: $input) {{ {ORG_FIELDS} }} }}"""
ARCHIVE = "mutation A($id: ID!) { archiveOrganization(id: $id) { id archived } }"
ROTATE = "mutation R($id: ID!) { rotateJoinCode(networkId: $id) { id joinCode } }"
MEMBERS = "query M($o: ID!) { organization(id: $o) { members { id name role } } }"
ORGANIZATIONS = """
query O($net: ID!, $focus: String, $kind: ResourceKind, $search: String, $first: Int,
        $after: String) {
  organizations(networkId: $net, focusArea: $focus, resourceKind: $kind, search: $search,
                first: $first, after: $after) {
    edges { cursor node { id name } } pageInfo { hasNextPage endCursor } } }"""


async def test_update_changes_only_the_fields_sent_and_publishes_the_profile(
    stack: Stack, operator: Client, network: dict[str, str]
) -> None:
    org = register_outreach(operator, network["networkId"], "River Keepers")
    admin = operator.as_(org["adminToken"])
    org_id = org["organization"]["id"]
    updated = admin.data(
        UPDATE,
        {"id": org_id, "input": {"mission": "Clean rivers", "focusAreas": ["Sustainability",
                                                                          "Beekeeping"]}},
    )["updateOrganization"]  # fmt: skip
    assert updated["name"] == "River Keepers" and updated["mission"] == "Clean rivers"
    assert updated["focusAreas"] == ["environment"] and updated["freeTags"] == ["beekeeping"]
    assert updated["offers"] == [{"kind": "OUTREACH", "quantity": None}]

    events = await events_of(stack, "organization.updated", org_id)
    headers, body = events[-1]
    assert_cloud_event(headers, "organization.updated", org_id)
    assert body["profile"]["mission"] == "Clean rivers" and body["profile"]["version"] == 2
    assert body["profile"]["name"] == "River Keepers"  # the full profile


def test_update_validation_names_the_field_and_writes_nothing(
    operator: Client, network: dict[str, str]
) -> None:
    org = register_outreach(operator, network["networkId"], "Trail Crew")
    admin = operator.as_(org["adminToken"])
    org_id = org["organization"]["id"]
    bad = {"offers": [{"kind": "VENUE"}, {"kind": "FUNDING"}, {"kind": "OUTREACH", "quantity": -1}]}
    errors = admin.errors(UPDATE, {"id": org_id, "input": {**bad, "mission": "changed"}})
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert errors[0]["extensions"]["field"] == "input.offers[2].quantity"
    errors = admin.errors(UPDATE, {"id": org_id, "input": {"timeZone": "Nowhere/City"}})
    assert errors[0]["extensions"]["field"] == "input.timeZone"
    unchanged = admin.data(UPDATE, {"id": org_id, "input": {}})["updateOrganization"]
    assert unchanged["mission"] == "Protect the river and teach recycling in schools"


def test_only_its_admin_updates_and_a_taken_name_is_a_conflict(
    operator: Client, network: dict[str, str]
) -> None:
    first = register_outreach(operator, network["networkId"], "Harbor Arts")
    second = register_outreach(operator, network["networkId"], "Bay Dancers")
    second_admin = operator.as_(second["adminToken"])
    first_id = first["organization"]["id"]
    assert codes(second_admin.errors(UPDATE, {"id": first_id, "input": {"mission": "x"}})) == [
        "FORBIDDEN"
    ]
    assert codes(operator.errors(UPDATE, {"id": first_id, "input": {"mission": "x"}})) == [
        "FORBIDDEN"
    ]
    taken = second_admin.errors(
        UPDATE, {"id": second["organization"]["id"], "input": {"name": "harbor arts, inc."}}
    )
    assert codes(taken) == ["CONFLICT"] and taken[0]["extensions"]["existingId"] == first_id


async def test_archive_hides_the_organization_from_listings(
    stack: Stack, operator: Client, network: dict[str, str]
) -> None:
    org = register_outreach(operator, network["networkId"], "Old Guild")
    org_id = org["organization"]["id"]
    member = operator.as_(org["adminToken"]).data(
        ADD_MEMBER, {"org": org_id, "input": {"name": "Mo", "email": "mo@oldguild.org"}}
    )["addMember"]
    assert codes(operator.as_(member["token"]).errors(ARCHIVE, {"id": org_id})) == ["FORBIDDEN"]
    assert operator.data(ARCHIVE, {"id": org_id})["archiveOrganization"]["archived"] is True
    assert operator.data(ARCHIVE, {"id": org_id})["archiveOrganization"]["archived"] is True
    listed = operator.data(ORGANIZATIONS, {"net": network["networkId"], "search": "old guild"})
    assert listed["organizations"]["edges"] == []
    assert operator.data("query($id: ID!) { organization(id: $id) { archived } }", {"id": org_id})
    events = await events_of(stack, "organization.archived", org_id)
    assert len(events) == 1  # archiving twice published once
    assert_cloud_event(events[0][0], "organization.archived", org_id)
    assert events[0][1]["profile"]["archived"] is True
    errors = operator.as_(org["adminToken"]).errors(UPDATE, {"id": org_id, "input": {"name": "N"}})
    assert codes(errors) == ["CONFLICT"]


async def test_add_member_returns_a_token_once_and_email_is_unique_in_the_network(
    stack: Stack, operator: Client, network: dict[str, str]
) -> None:
    org = register_outreach(operator, network["networkId"], "Food Share")
    admin = operator.as_(org["adminToken"])
    org_id = org["organization"]["id"]
    added = admin.data(
        ADD_MEMBER,
        {"org": org_id, "input": {"name": "Bo", "email": "Bo@FoodShare.org", "role": "ORG_ADMIN"}},
    )["addMember"]
    assert added["member"]["email"] == "bo@foodshare.org"
    assert added["member"]["role"] == "ORG_ADMIN" and added["token"]
    me = operator.as_(added["token"]).data("{ me { memberId organizationId role } }")["me"]
    assert me == {"memberId": added["member"]["id"], "organizationId": org_id, "role": "ORG_ADMIN"}

    other = register_outreach(operator, network["networkId"], "Book Share")
    duplicate = operator.as_(other["adminToken"]).errors(
        ADD_MEMBER,
        {"org": other["organization"]["id"], "input": {"name": "B", "email": "bo@foodshare.org"}},
    )
    assert codes(duplicate) == ["CONFLICT"]
    bad = admin.errors(ADD_MEMBER, {"org": org_id, "input": {"name": "X", "email": "nope"}})
    assert bad[0]["extensions"] == {**bad[0]["extensions"], "code": "BAD_USER_INPUT",
                                    "field": "input.email"}  # fmt: skip
    member_token = operator.as_(added["token"])
    plain = member_token.data(
        ADD_MEMBER, {"org": org_id, "input": {"name": "Cy", "email": "cy@foodshare.org"}}
    )["addMember"]
    assert codes(
        operator.as_(plain["token"]).errors(
            ADD_MEMBER, {"org": org_id, "input": {"name": "Di", "email": "di@foodshare.org"}}
        )
    ) == ["FORBIDDEN"]
    assert codes(
        operator.errors(
            ADD_MEMBER, {"org": org_id, "input": {"name": "Ed", "email": "ed@foodshare.org"}}
        )
    ) == ["FORBIDDEN"]

    events = await events_of(stack, "member.joined", org_id)
    joined = [body for _, body in events if body["member"]["member_id"] == added["member"]["id"]]
    assert joined and joined[0]["network_id"] == network["networkId"]
    assert_cloud_event(events[0][0], "member.joined", org_id)


ME = "{ me { memberId } }"
INBOX_TITLES = "{ notifications(first: 50) { edges { node { title } } } }"


async def test_removing_a_member_revokes_their_tokens_at_once(
    stack: Stack, operator: Client, network: dict[str, str]
) -> None:
    org = register_outreach(operator, network["networkId"], "Tool Library")
    admin = operator.as_(org["adminToken"])
    org_id = org["organization"]["id"]
    admin_id = admin.data(ME)["me"]["memberId"]
    joined = {"org": org_id, "input": {"name": "Flo", "email": "flo@tools.org"}}
    added = admin.data(ADD_MEMBER, joined)["addMember"]
    flo = operator.as_(added["token"])
    assert flo.data(ME)["me"]["memberId"] == added["member"]["id"]

    # the members by name, for the admin and the operator; a plain member may not list them
    listed = [("Ann Lee", "ORG_ADMIN"), ("Flo", "MEMBER")]
    for reader in (admin, operator):
        found = reader.data(MEMBERS, {"o": org_id})["organization"]["members"]
        assert [(m["name"], m["role"]) for m in found] == listed
    assert codes(flo.errors(MEMBERS, {"o": org_id})) == ["FORBIDDEN"]

    # a plain member may not remove anyone; the admin may, and the token stops at once
    remove = {"org": org_id, "member": added["member"]["id"]}
    assert codes(flo.errors(REMOVE_MEMBER, {"org": org_id, "member": admin_id})) == ["FORBIDDEN"]
    removed = admin.data(REMOVE_MEMBER, remove)["removeMember"]
    assert removed == {"id": added["member"]["id"], "email": "flo@tools.org", "role": "MEMBER"}
    assert codes(flo.errors(ME)) == ["UNAUTHENTICATED"]
    assert codes(admin.errors(REMOVE_MEMBER, remove)) == ["NOT_FOUND"]  # gone already
    assert [m["name"] for m in admin.data(MEMBERS, {"o": org_id})["organization"]["members"]] == [
        "Ann Lee"
    ]

    # the last admin stays; the email can join again, with a new token
    last = admin.errors(REMOVE_MEMBER, {"org": org_id, "member": admin_id})
    assert codes(last) == ["CONFLICT"] and last[0]["extensions"]["field"] == "memberId"
    again = admin.data(ADD_MEMBER, joined)["addMember"]
    assert again["member"]["id"] != added["member"]["id"]
    assert operator.as_(again["token"]).data(ME)["me"]["memberId"] == again["member"]["id"]
    assert codes(flo.errors(ME)) == ["UNAUTHENTICATED"]  # the old token stays revoked

    events = await events_of(stack, "member.removed", org_id)
    assert [body["member"]["member_id"] for _, body in events] == [added["member"]["id"]]
    assert events[0][1]["removed_by"] == admin_id
    assert_cloud_event(events[0][0], "member.removed", org_id)
    # the organization's remaining members are told
    eventually(
        lambda: (
            "Flo was removed"
            in [e["node"]["title"] for e in admin.data(INBOX_TITLES)["notifications"]["edges"]]
        ),
        timeout=30,
    )


def test_rotating_the_join_code_retires_the_old_one(
    gql: Client, operator: Client, network: dict[str, str]
) -> None:
    rotated = operator.data(ROTATE, {"id": network["networkId"]})["rotateJoinCode"]
    assert rotated["joinCode"] and rotated["joinCode"] != network["joinCode"]
    old = {
        **registration(network["networkId"], "Late", "late@x.org"),
        "joinCode": network["joinCode"],
    }
    assert codes(gql.errors(REGISTER, {"input": old})) == ["NOT_FOUND"]
    new = {**old, "joinCode": rotated["joinCode"]}
    assert gql.data(REGISTER, {"input": new})["registerOrganization"]["adminToken"]
    later = {**new, "name": "Later", "admin": {"name": "L", "email": "l@x.org"}}
    admin = operator.as_(gql.data(REGISTER, {"input": later})["registerOrganization"]["adminToken"])
    assert codes(admin.errors(ROTATE, {"id": network["networkId"]})) == ["FORBIDDEN"]


def test_organizations_connection_filters_and_pages(
    operator: Client, network: dict[str, str]
) -> None:
    net = network["networkId"]
    for i in range(5):
        kind = "VOLUNTEERS" if i % 2 else "FUNDING"
        register_outreach(
            operator, net, f"Green Team {i}", focusAreas=["recycling"], offers=[{"kind": kind}]
        )
    register_outreach(
        operator, net, "Chess Club", focusAreas=["chess"], mission="Board games for all"
    )

    def names(**variables: Any) -> tuple[list[str], dict[str, Any]]:
        found = operator.data(ORGANIZATIONS, {"net": net, **variables})["organizations"]
        return [e["node"]["name"] for e in found["edges"]], found["pageInfo"]

    green, _ = names(focus="environmental conservation")
    assert sorted(green) == [f"Green Team {i}" for i in range(5)]
    assert names(focus="chess")[0] == ["Chess Club"]
    assert sorted(names(kind="VOLUNTEERS")[0]) == ["Green Team 1", "Green Team 3"]
    assert names(search="BOARD GAMES")[0] == ["Chess Club"]
    seen: list[str] = []
    after = None
    while True:
        page, info = names(first=2, after=after)
        seen += page
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    assert len(seen) == len(set(seen)) == 6
    errors = operator.errors(ORGANIZATIONS, {"net": net, "first": 1000})
    assert codes(errors) == ["LIMIT_EXCEEDED"]


def test_the_same_idempotency_key_answers_the_first_answer_and_writes_once(
    operator: Client, network: dict[str, str]
) -> None:
    body = {"input": registration(network["networkId"], "Once Only", "once@only.org")}
    key = {"Idempotency-Key": f"k-{uuid.uuid4().hex}"}
    first = operator.data(REGISTER, body, headers=key)["registerOrganization"]
    again = operator.data(REGISTER, body, headers=key)["registerOrganization"]
    assert again == first  # the same organization and the same (only) admin token
    found = operator.data(ORGANIZATIONS, {"net": network["networkId"], "search": "once only"})
    assert len(found["organizations"]["edges"]) == 1
    # without the key the same request is a duplicate; with another caller's token, a new key
    assert codes(operator.errors(REGISTER, body)) == ["CONFLICT"]
    other = {**body["input"], "name": "Twice", "admin": {"name": "T", "email": "t@x.org"}}
    assert codes(operator.errors(REGISTER, {"input": other}, headers=key)) == ["CONFLICT"]

    admin = operator.as_(first["adminToken"])
    org_id = first["organization"]["id"]
    member = {"org": org_id, "input": {"name": "Al", "email": "al@only.org"}}
    key2 = {"Idempotency-Key": f"k-{uuid.uuid4().hex}"}
    added = admin.data(ADD_MEMBER, member, headers=key2)["addMember"]
    assert admin.data(ADD_MEMBER, member, headers=key2)["addMember"] == added
    assert codes(admin.errors(ADD_MEMBER, member)) == ["CONFLICT"]  # no key: a real duplicate


def test_concurrent_twins_with_one_key_get_one_answer(
    operator: Client, network: dict[str, str]
) -> None:
    body = {"input": registration(network["networkId"], "Twin Garden", "twin@garden.org")}
    key = {"Idempotency-Key": f"k-{uuid.uuid4().hex}"}
    with ThreadPoolExecutor(4) as pool:
        bodies = list(pool.map(lambda _: operator.execute(REGISTER, body, headers=key), range(4)))
    answers = [b["data"]["registerOrganization"] for b in bodies if not b.get("errors")]
    assert len(answers) == 4, bodies
    assert all(a == answers[0] for a in answers)
