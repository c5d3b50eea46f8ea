"""A webhook's life through the GraphQL API, against a real local receiver that verifies with
the `standardwebhooks` library: the secret rotated with an overlap (both signatures verify
during it, only the new one after it), disabled by failures (its owner told), enabled again,
listed with its latest delivery, deleted."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError

from deploy.stack import Stack
from shared import contracts as c
from tests.support.events import produce
from tests.support.notifications import kinds, two_partners
from tests.support.receiver import Receiver
from tests.support.stack import Client
from tests.support.wait import eventually

REGISTER = """mutation($i: RegisterWebhookInput!) {
  registerWebhook(input: $i) { secret webhook { id } } }"""
ROTATE = """mutation($id: ID!, $s: Int!) {
  rotateWebhookSecret(id: $id, overlapSeconds: $s) { secret previousSecretExpiresAt
    webhook { id previousSecretExpiresAt } } }"""
LIST = """query($o: ID) { webhooks(organizationId: $o) {
  id url disabled disabledReason failures previousSecretExpiresAt
  lastDelivery { ok statusCode } } }"""
ENABLE = "mutation($id: ID!) { enableWebhook(id: $id) { disabled failures disabledReason } }"
DELETE = "mutation($id: ID!) { deleteWebhook(id: $id) { id } }"
# the first delivery must come within it (1-2 s on a loaded machine); the test waits it out
OVERLAP_SECONDS = 8


def verifies(secret: str, delivery: tuple[bytes, dict[str, str]]) -> bool:
    body, headers = delivery
    try:
        Webhook(secret).verify(body, headers)
    except WebhookVerificationError:
        return False
    return True


async def milestones(stack: Stack, partnership: c.PartnershipRef, count: int = 1) -> None:
    for n in range(count):
        event = c.MilestoneReached(partnership=partnership, milestone_id=f"m{n}", title="Step")
        await produce(
            stack.settings.kafka_bootstrap, "milestone.reached", partnership.partnership_id, event
        )


def listed(admin: Client, organization_id: str) -> dict[str, Any]:
    (webhook,) = admin.data(LIST, {"o": organization_id})["webhooks"]
    return dict(webhook)


async def test_a_webhook_rotated_disabled_enabled_and_deleted(stack: Stack) -> None:
    partnership, admins = two_partners(stack)
    admin, organization_id = admins[0][0], partnership.organization_ids[0]
    receiver = Receiver()
    try:
        hook = {"url": receiver.url, "eventTypes": ["milestone.reached"]}
        registered = admin.data(REGISTER, {"i": {**hook, "organizationId": organization_id}})
        webhook_id = registered["registerWebhook"]["webhook"]["id"]
        old = receiver.secret = registered["registerWebhook"]["secret"]

        rotated = admin.data(ROTATE, {"id": webhook_id, "s": OVERLAP_SECONDS})
        new = rotated["rotateWebhookSecret"]["secret"]
        ends = datetime.fromisoformat(rotated["rotateWebhookSecret"]["previousSecretExpiresAt"])
        assert new != old
        assert listed(admin, organization_id)["previousSecretExpiresAt"] is not None

        await milestones(stack, partnership)  # during the overlap
        eventually(lambda: receiver.raw, timeout=30)
        during = receiver.raw[0]
        assert len(during[1]["webhook-signature"].split(" ")) == 2
        assert verifies(old, during) and verifies(new, during)

        await asyncio.sleep(max(0.0, (ends - datetime.now(UTC)).total_seconds()) + 1)
        await milestones(stack, partnership)  # after it
        eventually(lambda: len(receiver.raw) >= 2, timeout=30)
        after = receiver.raw[1]
        assert verifies(new, after) and not verifies(old, after)
        webhook = listed(admin, organization_id)
        assert webhook["previousSecretExpiresAt"] is None
        assert webhook["lastDelivery"] == {"ok": True, "statusCode": 204}

        receiver.status = 500  # the receiver breaks: five failures disable the webhook
        await milestones(stack, partnership, count=5)
        eventually(lambda: "webhook.disabled" in kinds(admin), timeout=60)
        webhook = listed(admin, organization_id)
        assert webhook["disabled"] and webhook["disabledReason"] == "HTTP 500"
        assert webhook["lastDelivery"] == {"ok": False, "statusCode": 500}

        receiver.status = 204  # repaired: enabled again, it hears the next event
        enabled = admin.data(ENABLE, {"id": webhook_id})["enableWebhook"]
        assert enabled == {"disabled": False, "failures": 0, "disabledReason": None}
        heard = len(receiver.raw)
        await milestones(stack, partnership)
        eventually(lambda: listed(admin, organization_id)["lastDelivery"]["ok"], timeout=30)
        assert len(receiver.raw) > heard and verifies(new, receiver.raw[-1])

        assert admin.data(DELETE, {"id": webhook_id})["deleteWebhook"]["id"] == webhook_id
        assert admin.data(LIST, {"o": organization_id})["webhooks"] == []
        errors = admin.errors(DELETE, {"id": webhook_id})
        assert errors[0]["extensions"]["code"] == "NOT_FOUND"
    finally:
        receiver.close()


def test_another_organizations_admin_cannot_manage_or_see_it(stack: Stack) -> None:
    partnership, admins = two_partners(stack)
    (admin, _), (other, _) = admins
    registered = admin.data(
        REGISTER,
        {"i": {"url": "http://127.0.0.1:9/h", "organizationId": partnership.organization_ids[0]}},
    )
    webhook_id = registered["registerWebhook"]["webhook"]["id"]
    for mutation in (ENABLE, DELETE):
        assert other.errors(mutation, {"id": webhook_id})[0]["extensions"]["code"] == "FORBIDDEN"
    errors = other.errors(LIST, {"o": partnership.organization_ids[0]})
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    assert other.data(LIST, {"o": None})["webhooks"] == []  # their own organization's: none
