"""Registering organizations and their members through the gateway, the ways the integration
tests and the drills need them: a plain one, one offering outreach, one with a full matching
profile, and the outreach organization and funder that matching pairs. An answer's error
codes are `codes` in tests/support/stack.py; an organization's matches, tests/support/matches.py."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from tests.support.stack import Client, create_network

REGISTER = """
mutation Register($input: RegisterOrganizationInput!) {
  registerOrganization(input: $input) { adminToken organization { id name } }
}"""
ADD_MEMBER = """
mutation M($org: ID!, $input: AddMemberInput!) {
  addMember(organizationId: $org, input: $input) { token member { id name email role } } }"""
REMOVE_MEMBER = """
mutation R($org: ID!, $member: ID!) {
  removeMember(organizationId: $org, memberId: $member) { id email role } }"""
EVENINGS = [{"day": "Tuesday", "start": "17:00", "end": "20:00"}]


def registration(network_id: str, name: str, email: str) -> dict[str, Any]:
    """The input of an environmental organization that offers outreach, its admin `email`."""
    return {
        "networkId": network_id,
        "name": name,
        "mission": "Protect the river and teach recycling in schools",
        "focusAreas": ["environment"],
        "offers": [{"kind": "OUTREACH", "description": "door to door"}],
        "admin": {"name": "Ann Lee", "email": email},
    }


def register(operator: Client, network_id: str, name: str) -> dict[str, Any]:
    """A plain organization (a mission, nothing offered or needed): `registerOrganization`'s
    answer, with `adminToken` and `organization { id name }`."""
    slug = name.lower().replace(" ", "-")
    body = {
        "networkId": network_id,
        "name": name,
        "mission": "Neighbours helping neighbours",
        "admin": {"name": f"{name} Admin", "email": f"admin@{slug}.example.org"},
    }
    return _registered(operator, body)


def register_admin(operator: Client, network_id: str, name: str) -> tuple[str, Client]:
    """A plain organization (as `register`): its id, and a client with its admin's token."""
    found = register(operator, network_id, name)
    return found["organization"]["id"], operator.as_(found["adminToken"])


def register_outreach(
    operator: Client, network_id: str, name: str, **change: Any
) -> dict[str, Any]:
    """The `registration` organization under `name`, with the input fields in `change`."""
    slug = name.lower().replace(" ", "")
    return _registered(operator, {**registration(network_id, name, f"admin@{slug}.org"), **change})


def register_profile(
    operator: Client, network_id: str, name: str, domain: str = "example.org", **profile: Any
) -> dict[str, Any]:
    """An organization in Lane County, free on Tuesday evenings, with `profile`'s fields; its
    admin is admin@<name>.<domain>."""
    slug = name.lower().replace(" ", "-")
    body = {
        "networkId": network_id,
        "name": name,
        "admin": {"name": f"{name} Admin", "email": f"admin@{slug}.{domain}"},
        "region": "Lane County",
        "timeZone": "America/Los_Angeles",
        "availability": EVENINGS,
        **profile,
    }
    return _registered(operator, body)


def outreach_and_funder(
    operator: Client, network_id: str, domain: str = "example.org"
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two organizations matching suggests to each other: each needs what the other offers.
    Their admins' addresses end in `domain`: a test that signs them in by email gives one of
    its own (a link goes to every membership of an address on the stack)."""
    funder = register_profile(
        operator, network_id, "Lane Community Foundation", domain,
        mission="Grants for community health and family wellbeing",
        focusAreas=["community health"], offers=[{"kind": "FUNDING"}], needs=[{"kind": "OUTREACH"}],
    )  # fmt: skip
    outreach = register_profile(
        operator, network_id, "Neighbors United", domain,
        mission="Door-to-door outreach connecting families with community health resources",
        focusAreas=["community health"], offers=[{"kind": "OUTREACH"}], needs=[{"kind": "FUNDING"}],
    )  # fmt: skip
    return outreach, funder


def _registered(operator: Client, body: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = operator.data(REGISTER, {"input": body})["registerOrganization"]
    return result


# Eight kinds of mission, for newcomers that differ as a region's do (the soak, the CPU bench)
MISSIONS = [
    "After-school tutoring and meals",
    "Food pantry and community garden for families",
    "Adult literacy classes and job readiness coaching",
    "Youth mentoring through sports and the arts",
    "Mental health counseling for teenagers and their parents",
    "Affordable housing repairs by volunteer crews",
    "Digital skills workshops for seniors",
    "Small business grants and mentoring for new founders",
]


class Regions:
    """Where newcomers register: regional networks of `size` organizations each, a new one
    opened when the last is full, as networks grow in the field (tens to a few hundred
    organizations a region), not one network of thousands. `size` 0: the first network for
    all. Safe to share between threads (the soak's)."""

    def __init__(
        self,
        stack: Any,
        first: dict[str, str],
        size: int,
        opened: Callable[[dict[str, str]], None] = lambda network: None,
    ) -> None:
        self._stack, self._size, self._opened = stack, size, opened
        self._current, self._members = first, 0
        self._lock = threading.Lock()

    def for_newcomers(self, count: int = 1) -> dict[str, str]:
        """The network `count` newcomers join together (`networkId`, `operatorToken`, …)."""
        with self._lock:
            if self._size and self._members + count > self._size:
                self._current, self._members = create_network(self._stack), 0
                self._opened(self._current)
            self._members += count
            return self._current
