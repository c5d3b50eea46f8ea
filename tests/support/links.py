"""Linking networks in tests: the GraphQL documents for links, and two networks (each with
an organization) joined by an active link."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from deploy.stack import Stack
from tests.support.stack import Client, create_network
from tests.support.wait import eventually

LINK = "id status incoming note proposedAt acceptedAt endedAt otherNetwork { id name region }"
PROPOSE = f"""mutation($n: ID!, $o: ID!, $note: String!) {{
  proposeNetworkLink(networkId: $n, otherNetworkId: $o, note: $note) {{ {LINK} }} }}"""
STEPS = {
    step: f"mutation($id: ID!) {{ {step}NetworkLink(linkId: $id) {{ {LINK} }} }}"
    for step in ("accept", "decline", "end")
}
LINKS = f"query($n: ID!) {{ network(id: $n) {{ links {{ {LINK} }} }} }}"
REGISTER = """mutation($i: RegisterOrganizationInput!) {
  registerOrganization(input: $i) { organization { id name } adminToken } }"""


def propose(operator: Client, network_id: str, other: str, note: str = "", **kw: Any) -> Any:
    variables = {"n": network_id, "o": other, "note": note}
    return operator.data(PROPOSE, variables, **kw)["proposeNetworkLink"]


def step(operator: Client, name: str, link_id: str) -> Any:
    return operator.data(STEPS[name], {"id": link_id})[f"{name}NetworkLink"]


def links_of(operator: Client, network_id: str) -> list[dict[str, Any]]:
    links: list[dict[str, Any]] = operator.data(LINKS, {"n": network_id})["network"]["links"]
    return links


def register_in(operator: Client, network_id: str, name: str, **profile: Any) -> dict[str, Any]:
    """`{organization {id name}, adminToken}` of a new organization registered by the operator."""
    slug = name.lower().replace(" ", "-")
    admin = {"name": f"{name} Admin", "email": f"admin@{slug}.example.org"}
    fields = {"networkId": network_id, "name": name, "admin": admin, **profile}
    result: dict[str, Any] = operator.data(REGISTER, {"i": fields})["registerOrganization"]
    return result


@dataclass
class Side:
    """One network of a pair: its id, its operator and a client of the gateway."""

    network_id: str
    operator: Client
    name: str


def network_side(stack: Stack, name: str, time_zone: str = "America/Los_Angeles") -> Side:
    created = create_network(stack, name=name, time_zone=time_zone)
    return Side(created["networkId"], Client(stack.graphql_url, created["operatorToken"]), name)


def linked(a: Side, b: Side, note: str = "") -> str:
    """A link proposed by `a` and accepted by `b`: its id."""
    link_id: str = propose(a.operator, a.network_id, b.network_id, note)["id"]
    step(b.operator, "accept", link_id)
    return link_id


MATCHES = """query($o: ID!) { matches(organizationId: $o, first: 20) { edges { node {
  id status reasons parties { organizationId name } } } } }"""
RESPOND = """mutation($m: ID!, $d: MatchDecision!) {
  respondToMatch(matchId: $m, decision: $d) { id status } }"""


def open_profile(offers: str, needs: str, **fields: Any) -> dict[str, Any]:
    """A virtual-ready profile open to other networks, available Tuesday evenings."""
    return {
        "mission": "Tutoring and mentoring for middle-school students",
        "focusAreas": ["youth education"],
        "offers": [{"kind": offers}],
        "needs": [{"kind": needs}],
        "virtualReady": True,
        "openToOtherNetworks": True,
        "availability": [{"day": "TUE", "start": "17:00", "end": "21:00"}],
        **fields,
    }


def partners_of(admin: Client, organization_id: str) -> dict[str, dict[str, Any]]:
    """The organization's matches by the other party's id."""
    edges = admin.data(MATCHES, {"o": organization_id})["matches"]["edges"]
    return {
        p["organizationId"]: e["node"]
        for e in edges
        for p in e["node"]["parties"]
        if p["organizationId"] != organization_id
    }


@dataclass
class Across:
    """Two linked networks, each with an organization open to the other (tutors in Lane,
    Pacific time; mentors in Marion, Eastern time), one more in Marion that did not opt in,
    and the match suggested across the link."""

    lane: Side
    marion: Side
    link_id: str
    tutors: str
    mentors: str
    closed: str
    tutors_admin: Client
    mentors_admin: Client
    match: dict[str, Any]


def matched_across(stack: Stack, prefix: str) -> Across:
    lane = network_side(stack, f"{prefix} Lane")
    marion = network_side(stack, f"{prefix} Marion", time_zone="America/New_York")
    pacific = {"region": "Lane County", "timeZone": "America/Los_Angeles"}
    eastern = {"region": "Marion County", "timeZone": "America/New_York"}
    tutors = register_in(
        lane.operator, lane.network_id, f"{prefix} Tutors",
        **open_profile("VOLUNTEERS", "MENTORING", **pacific),
    )  # fmt: skip
    mentors = register_in(
        marion.operator, marion.network_id, f"{prefix} Mentors",
        **open_profile("MENTORING", "VOLUNTEERS", **eastern),
    )  # fmt: skip
    closed = register_in(
        marion.operator, marion.network_id, f"{prefix} Closed",
        **open_profile("MENTORING", "VOLUNTEERS", openToOtherNetworks=False, **eastern),
    )  # fmt: skip
    tutors_admin = lane.operator.as_(tutors["adminToken"])
    tutors_id, mentors_id = tutors["organization"]["id"], mentors["organization"]["id"]
    link_id = linked(lane, marion)
    match = eventually(lambda: partners_of(tutors_admin, tutors_id).get(mentors_id), timeout=30)
    return Across(
        lane, marion, link_id, tutors_id, mentors_id, closed["organization"]["id"],
        tutors_admin, marion.operator.as_(mentors["adminToken"]), match,
    )  # fmt: skip
