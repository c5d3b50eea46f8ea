"""Organizations through GraphQL, shared by the integration tests and the drills: registering
one (plainly or with a profile that matching pairs), the error codes of an answer, and the
matches suggested to an organization."""

from __future__ import annotations

from typing import Any

from tests.support.stack import Client

REGISTER = """
mutation Register($input: RegisterOrganizationInput!) {
  registerOrganization(input: $input) { organization { id name } adminToken }
}
"""


def register(operator: Client, network_id: str, name: str) -> dict[str, Any]:
    slug = name.lower().replace(" ", "-")
    data = operator.data(
        REGISTER,
        {
            "input": {
                "networkId": network_id,
                "name": name,
                "mission": "Neighbours helping neighbours",
                "admin": {"name": f"{name} Admin", "email": f"admin@{slug}.example.org"},
            }
        },
    )
    result: dict[str, Any] = data["registerOrganization"]
    return result


def codes(errors: list[dict[str, Any]]) -> list[str]:
    return [e["extensions"]["code"] for e in errors]


EVENINGS = [{"day": "Tuesday", "start": "17:00", "end": "20:00"}]
MATCHES = """
query M($id: ID!) { matches(organizationId: $id, first: 10) { edges { node {
  id score status reasons components { name score weight } parties { organizationId name answer }
} } } }
"""


def register_profile(
    operator: Client, network_id: str, name: str, **profile: Any
) -> dict[str, Any]:
    slug = name.lower().replace(" ", "-")
    body = {
        "networkId": network_id,
        "name": name,
        "admin": {"name": f"{name} Admin", "email": f"admin@{slug}.example.org"},
        "region": "Lane County",
        "timeZone": "America/Los_Angeles",
        "availability": EVENINGS,
        **profile,
    }
    result: dict[str, Any] = operator.data(REGISTER, {"input": body})["registerOrganization"]
    return result


def outreach_and_funder(operator: Client, network_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    funder = register_profile(
        operator, network_id, "Lane Community Foundation",
        mission="Grants for community health and family wellbeing",
        focusAreas=["community health"], offers=[{"kind": "FUNDING"}], needs=[{"kind": "OUTREACH"}],
    )  # fmt: skip
    outreach = register_profile(
        operator, network_id, "Neighbors United",
        mission="Door-to-door outreach connecting families with community health resources",
        focusAreas=["community health"], offers=[{"kind": "OUTREACH"}], needs=[{"kind": "FUNDING"}],
    )  # fmt: skip
    return outreach, funder


def matches_of(client: Client, organization_id: str) -> list[dict[str, Any]]:
    edges = client.data(MATCHES, {"id": organization_id})["matches"]["edges"]
    return [e["node"] for e in edges]
