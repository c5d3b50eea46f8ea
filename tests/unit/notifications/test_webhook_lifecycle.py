"""The webhook lifecycle's use cases against the fake unit of work: a rotation signs with both
secrets during its overlap and with the new one alone after it (verified with the
`standardwebhooks` library, as a receiver would); a webhook is listed with its latest attempt,
enabled again after it was disabled, deleted with its log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from services.notifications.domain.standard_webhooks import signed_headers
from services.notifications.domain.webhook_secrets import signing_secrets
from services.notifications.service import WebhookInput, WebhookLifecycle, WebhookService
from services.notifications.service.webhook_lifecycle import RotateSecretInput
from shared.clock import Clock
from shared.errors import AppError, ErrorCode
from tests.support.fake_notifications import FakeNotificationsUnitOfWork

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Webhooks:
    def __init__(self) -> None:
        self.clock = Clock()
        self.clock.set(NOW)
        self.uow = FakeNotificationsUnitOfWork()
        self.service = WebhookService(allow_loopback=True, clock=self.clock)
        self.lifecycle = WebhookLifecycle(self.clock)

    async def register(self, network: str, organization: str | None, url: str) -> str:
        data = WebhookInput(network_id=network, organization_id=organization, url=url)
        registered = await self.service.register(data, self.uow)
        return str(registered["id"])


@pytest.fixture
def webhooks() -> Webhooks:
    return Webhooks()


def verifies(secret: str, headers: dict[str, str], body: bytes) -> bool:
    try:
        Webhook(secret).verify(body, headers)
    except WebhookVerificationError:
        return False
    return True


async def test_a_rotation_signs_with_both_secrets_during_its_overlap_then_the_new_alone(
    webhooks: Webhooks,
) -> None:
    uow, lifecycle = webhooks.uow, webhooks.lifecycle
    hook = await webhooks.register("net_1", "org_1", "http://127.0.0.1/h")
    old = uow.tables["webhooks"][hook]["secret"]
    rotated = await lifecycle.rotate_secret(hook, RotateSecretInput(overlap_seconds=3600), uow)
    new = rotated["secret"]
    assert new != old and rotated["previousSecretExpiresAt"] == NOW + timedelta(hours=1)
    assert uow.answers[-1] == rotated  # kept for a repeated Idempotency-Key
    body = b'{"specversion":"1.0"}'

    async def headers_at(moment: datetime) -> dict[str, str]:
        """What the delivery worker sends at `moment` (signed at the real time)."""
        webhook = await uow.webhooks.get(hook)
        assert webhook is not None
        return signed_headers(signing_secrets(webhook, moment), "msg_1", body, datetime.now(UTC))

    during = await headers_at(NOW + timedelta(minutes=59))
    assert len(during["webhook-signature"].split(" ")) == 2
    assert verifies(old, during, body) and verifies(new, during, body)
    after = await headers_at(NOW + timedelta(minutes=61))
    assert verifies(new, after, body) and not verifies(old, after, body)

    # a second rotation without overlap ends the first one's too
    webhooks.clock.set(NOW + timedelta(minutes=10))
    newest = await lifecycle.rotate_secret(hook, RotateSecretInput(overlap_seconds=0), uow)
    alone = await headers_at(NOW + timedelta(minutes=10))
    assert verifies(newest["secret"], alone, body)
    assert not verifies(new, alone, body) and not verifies(old, alone, body)
    assert newest["previousSecretExpiresAt"] is None


async def test_list_enable_and_delete(webhooks: Webhooks) -> None:
    uow, lifecycle = webhooks.uow, webhooks.lifecycle
    ours = await webhooks.register("net_1", "org_1", "http://127.0.0.1/a")
    await webhooks.register("net_1", "org_2", "http://127.0.0.1/b")
    await webhooks.register("net_2", "org_3", "http://127.0.0.1/c")
    async with uow:
        await uow.attempts.add(ours, "d1", 500, "HTTP 500", NOW)
        await uow.attempts.add(ours, "d2", 204, None, NOW + timedelta(seconds=1))
        await uow.webhooks.failed(ours)
        await uow.webhooks.disable(ours, "HTTP 500")

    listed = await lifecycle.webhooks("net_1", "org_1", uow)
    assert [w["id"] for w in listed] == [ours]
    assert listed[0]["disabled"] and listed[0]["disabledReason"] == "HTTP 500"
    assert listed[0]["lastDelivery"]["statusCode"] == 204
    assert len(await lifecycle.webhooks("net_1", None, uow)) == 2

    enabled = await lifecycle.enable(ours, uow)
    assert (enabled["disabled"], enabled["failures"], enabled["disabledReason"]) == (False, 0, None)

    deleted = await lifecycle.delete(ours, uow)
    assert deleted["id"] == ours
    assert await uow.webhooks.get(ours) is None
    assert await webhooks.service.deliveries(ours, 10, uow) == []
    for gone in (lifecycle.enable, lifecycle.delete):
        with pytest.raises(AppError) as missing:
            await gone(ours, uow)
        assert missing.value.code is ErrorCode.NOT_FOUND


async def test_a_rotation_of_a_missing_webhook_is_not_found_and_writes_nothing(
    webhooks: Webhooks,
) -> None:
    with pytest.raises(AppError) as missing:
        await webhooks.lifecycle.rotate_secret("whk_x", RotateSecretInput(), webhooks.uow)
    assert missing.value.code is ErrorCode.NOT_FOUND and webhooks.uow.answers == []


def test_an_overlap_longer_than_a_week_is_refused_naming_the_field() -> None:
    with pytest.raises(ValueError, match="overlap_seconds"):
        RotateSecretInput(overlap_seconds=8 * 24 * 3600)
