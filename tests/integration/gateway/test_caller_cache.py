"""The gateway keeps resolved callers a few seconds; a removed member's token is refused by
every replica within one event's latency (`member.removed`), not after the cache's life."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from deploy.stack import Stack
from tests.support.gateway import lone_gateway
from tests.support.organizations import register_outreach
from tests.support.stack import Client, codes, free_port
from tests.support.wait import eventually

ME = "{ me { memberId } }"
ADD_MEMBER = """mutation($org: ID!, $input: AddMemberInput!) {
  addMember(organizationId: $org, input: $input) { member { id } token } }"""
REMOVE_MEMBER = """mutation($org: ID!, $member: ID!) {
  removeMember(organizationId: $org, memberId: $member) { id } }"""
CACHE_SECONDS = 30.0


@pytest.fixture(scope="module")
def second_replica(stack: Stack) -> Iterator[Client]:
    """A second gateway beside the stack's, with its own event feed and a long cache."""
    settings = stack.settings.model_copy(
        update={
            "gateway_port": free_port(),
            "gateway_caller_cache_seconds": CACHE_SECONDS,
            "telemetry_exporter": "off",
        }
    )
    with lone_gateway(settings, services_ready=True, lifespan=True) as url:
        yield Client(f"{url}/graphql")


def test_a_removed_members_cached_token_is_refused_within_an_events_latency(
    stack: Stack, operator: Client, network: dict[str, str], second_replica: Client
) -> None:
    org = register_outreach(operator, network["networkId"], "Seed Library")
    admin = operator.as_(org["adminToken"])
    org_id = org["organization"]["id"]
    joined = {"org": org_id, "input": {"name": "Gus", "email": "gus@seeds.org"}}
    added = admin.data(ADD_MEMBER, joined)["addMember"]
    gus_here, gus_elsewhere = operator.as_(added["token"]), second_replica.as_(added["token"])
    for replica in (gus_here, gus_elsewhere):  # resolved, so cached, on both
        assert replica.data(ME)["me"]["memberId"] == added["member"]["id"]

    removed_at = time.monotonic()
    admin.data(REMOVE_MEMBER, {"org": org_id, "member": added["member"]["id"]})
    assert codes(gus_here.errors(ME)) == ["UNAUTHENTICATED"]  # the replica that removed him

    def refused_elsewhere() -> bool:
        errors = gus_elsewhere.execute(ME).get("errors") or []
        return codes(errors) == ["UNAUTHENTICATED"]

    eventually(refused_elsewhere, timeout=20)
    assert time.monotonic() - removed_at < CACHE_SECONDS / 2  # the event, not the cache's life
