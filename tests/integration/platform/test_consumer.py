"""The idempotent consumer, against the real broker: a redelivered event has one effect, and a
poison message goes to the DLQ while the next good one is processed."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from deploy.stack import Stack
from shared.contracts import (
    MatchParty,
    MatchSuggested,
    MemberRef,
    OrganizationProfile,
    OrganizationRegistered,
)
from tests.support import http
from tests.support.events import produce, reader
from tests.support.wait import eventually


def registered_event(network_id: str) -> OrganizationRegistered:
    suffix = uuid.uuid4().hex[:8]
    return OrganizationRegistered(
        profile=OrganizationProfile(
            organization_id=f"org_{suffix}", network_id=network_id, version=1, name=f"Org {suffix}"
        ),
        admin=MemberRef(
            member_id=f"mem_{suffix}", name="Ann", email=f"{suffix}@x.org", role="ORG_ADMIN"
        ),
        network_name="Test Network",
    )


def inbox(stack: Stack, member_id: str) -> list[dict[str, Any]]:
    response = http.get(
        f"{stack.service_url('notifications')}/inbox/{member_id}",
        headers={"X-Service-Token": stack.settings.service_token.get_secret_value()},
    )
    response.raise_for_status()
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def dlq_messages(stack: Stack, topic: str, marker: bytes) -> list[Any]:
    consumer = reader(stack.settings.kafka_bootstrap, [topic])
    await consumer.start()
    try:
        found = []
        batches = await consumer.getmany(timeout_ms=3000)
        for records in batches.values():
            found += [r for r in records if marker in r.value]
        return found
    finally:
        await consumer.stop()


async def test_the_same_event_twice_has_one_effect(stack: Stack) -> None:
    event = registered_event("net_consumer_test")
    first = await produce(
        stack.settings.kafka_bootstrap,
        "organization.registered",
        event.profile.organization_id,
        event,
    )
    await produce(
        stack.settings.kafka_bootstrap,
        "organization.registered",
        event.profile.organization_id,
        event,
        event_id=first.id,
    )
    # a later, different event proves both copies were consumed before we count
    later = registered_event("net_consumer_test")
    await produce(
        stack.settings.kafka_bootstrap,
        "organization.registered",
        later.profile.organization_id,
        later,
    )
    eventually(lambda: inbox(stack, later.admin.member_id))
    assert len(inbox(stack, event.admin.member_id)) == 1


async def test_a_poison_message_goes_to_the_dlq_and_the_next_is_processed(stack: Stack) -> None:
    marker = uuid.uuid4().hex.encode()
    await produce(
        stack.settings.kafka_bootstrap,
        "organization.registered",
        "org_poison",
        b'{"not": "an event" ' + marker,
    )
    good = registered_event("net_consumer_test")
    await produce(
        stack.settings.kafka_bootstrap,
        "organization.registered",
        good.profile.organization_id,
        good,
    )

    assert eventually(lambda: inbox(stack, good.admin.member_id))
    dead = []
    for _ in range(10):
        dead = await dlq_messages(stack, "organization.registered.dlq", marker)
        if len(dead) >= 3:
            break
    headers = [dict(record.headers) for record in dead]
    consumers = {h["dlq_consumer"].decode() for h in headers}
    assert consumers == {"matching", "commitments", "notifications"}, headers
    assert all(b"unparseable event" in h["dlq_reason"] for h in headers)


async def test_an_event_that_arrives_before_its_prerequisite_waits_for_it(stack: Stack) -> None:
    """Different topics have no order between them: a suggestion can reach notifications
    before the registration of the organizations it names. It is parked, not dropped."""
    first, second = registered_event("net_order_test"), registered_event("net_order_test")
    match_id = f"mat_{uuid.uuid4().hex[:8]}"
    suggested = MatchSuggested(
        match_id=match_id,
        network_id="net_order_test",
        parties=[
            MatchParty(organization_id=e.profile.organization_id, name=e.profile.name)
            for e in (first, second)
        ],
        score=0.9,
    )
    await produce(stack.settings.kafka_bootstrap, "match.suggested", match_id, suggested)
    await asyncio.sleep(1.5)  # handled meanwhile, and parked
    for event in (first, second):
        await produce(
            stack.settings.kafka_bootstrap,
            "organization.registered",
            event.profile.organization_id,
            event,
        )

    def suggestion(member_id: str) -> list[dict[str, Any]]:
        return [i for i in inbox(stack, member_id) if i["subjectId"] == match_id]

    for event in (first, second):
        assert len(eventually(lambda e=event: suggestion(e.admin.member_id), timeout=20)) == 1
