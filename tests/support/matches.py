"""Matches through the gateway: an organization's suggestions, answering them, and the
match.accepted events that follow."""

from __future__ import annotations

import json
from typing import Any

from deploy.stack import Stack
from tests.support import http
from tests.support.events import first_found
from tests.support.stack import Client

MATCHES = """
query M($id: ID!) { matches(organizationId: $id, first: 10) { edges { node {
  id score status reasons components { name score weight } parties { organizationId name answer }
} } } }
"""
RESPOND = """
mutation R($id: ID!, $d: MatchDecision!) {
  respondToMatch(matchId: $id, decision: $d, reason: "ok") {
    id status parties { organizationId answer } } }
"""


def matches_of(client: Client, organization_id: str) -> list[dict[str, Any]]:
    edges = client.data(MATCHES, {"id": organization_id})["matches"]["edges"]
    return [e["node"] for e in edges]


async def accepted_events(stack: Stack, match_id: str) -> list[dict[str, Any]]:
    """The match.accepted payloads of `match_id` on Kafka."""

    def of_match(r: Any) -> dict[str, Any] | None:
        payload: dict[str, Any] = json.loads(r.value)
        return payload if payload["match_id"] == match_id else None

    return await first_found(stack.settings.kafka_bootstrap, "match.accepted", of_match)


def matching_version(stack: Stack, organization_id: str) -> int:
    """The version of an organization's profile in matching's read model (0 before any)."""
    response = http.get(
        f"{stack.service_url('matching')}/profiles/{organization_id}",
        headers={"X-Service-Token": stack.settings.service_token.get_secret_value()},
        timeout=10,
    )
    version: int = response.json()["version"] if response.status_code == 200 else 0
    return version
