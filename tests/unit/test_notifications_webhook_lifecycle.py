"""The webhook lifecycle's use cases against a real document store, without the stack: a
rotation signs with both secrets during its overlap and with the new one alone after it
(verified with the `standardwebhooks` library, as a receiver would); a webhook is listed with
its latest attempt, enabled again after it was disabled, deleted; the log keeps N attempts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pymongo import AsyncMongoClient
from services.notifications.store.webhook_admin import WebhookAdminStore
from services.notifications.webhooks import signed_headers
from standardwebhooks import Webhook, WebhookVerificationError

from services.notifications.domain.webhook_secrets import signing_secrets
from services.notifications.service import WebhookInput, WebhookService
from services.notifications.service.webhook_lifecycle import RotateSecretInput, WebhookLifecycle
from services.notifications.store import INDEXES, NotificationStore
from shared.errors import AppError, ErrorCode
from shared.mongo import Database, Document, ensure_indexes
from shared.outbox import Outbox

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def webhooks(
    mongo: AsyncMongoClient[Document], database: Database
) -> tuple[WebhookService, WebhookLifecycle, NotificationStore, Clock]:
    await ensure_indexes(database, INDEXES)
    outbox = Outbox(mongo, database, source="commonweave/notifications")
    store, clock = NotificationStore(database), Clock()
    lifecycle = WebhookLifecycle(store, WebhookAdminStore(database), outbox, clock)
    return WebhookService(store, outbox, allow_loopback=True), lifecycle, store, clock


def verifies(secret: str, headers: dict[str, str], body: bytes) -> bool:
    try:
        Webhook(secret).verify(body, headers)
    except WebhookVerificationError:
        return False
    return True


async def test_a_rotation_signs_with_both_secrets_during_its_overlap_then_the_new_alone(
    webhooks: tuple[WebhookService, WebhookLifecycle, NotificationStore, Clock],
) -> None:
    service, lifecycle, store, clock = webhooks
    hook = WebhookInput(network_id="net_1", organization_id="org_1", url="http://127.0.0.1/h")
    old = (await service.register(hook))["secret"]
    rotated = await lifecycle.rotate_secret(
        (await lifecycle.webhooks("net_1", None))[0]["id"], RotateSecretInput(overlap_seconds=3600)
    )
    new = rotated["secret"]
    assert new != old and rotated["previousSecretExpiresAt"] == NOW + timedelta(hours=1)
    body = b'{"specversion":"1.0"}'

    async def headers_at(moment: datetime) -> dict[str, str]:
        """What the delivery worker sends at `moment` (signed at the real time)."""
        webhook = await store.webhook(rotated["webhook"]["id"])
        assert webhook is not None
        secrets = signing_secrets(webhook, moment)
        return signed_headers(secrets, "msg_1", body, datetime.now(UTC))

    during = await headers_at(NOW + timedelta(minutes=59))
    assert len(during["webhook-signature"].split(" ")) == 2
    assert verifies(old, during, body) and verifies(new, during, body)
    after = await headers_at(NOW + timedelta(minutes=61))
    assert verifies(new, after, body) and not verifies(old, after, body)

    # a second rotation without overlap ends the first one's too
    clock.now = NOW + timedelta(minutes=10)
    newest = await lifecycle.rotate_secret(
        rotated["webhook"]["id"], RotateSecretInput(overlap_seconds=0)
    )
    alone = await headers_at(clock.now)
    assert verifies(newest["secret"], alone, body)
    assert not verifies(new, alone, body) and not verifies(old, alone, body)
    assert newest["previousSecretExpiresAt"] is None


async def test_list_enable_and_delete(
    webhooks: tuple[WebhookService, WebhookLifecycle, NotificationStore, Clock],
) -> None:
    service, lifecycle, store, _ = webhooks
    ours = await service.register(
        WebhookInput(network_id="net_1", organization_id="org_1", url="http://127.0.0.1/a")
    )
    await service.register(
        WebhookInput(network_id="net_1", organization_id="org_2", url="http://127.0.0.1/b")
    )
    await service.register(
        WebhookInput(network_id="net_2", organization_id="org_3", url="http://127.0.0.1/c")
    )
    await store.log_webhook_attempt(ours["id"], "d1", 500, "HTTP 500")
    await store.log_webhook_attempt(ours["id"], "d2", 204, None)
    for _ in range(5):
        await store.webhook_failed(ours["id"])
    webhook = await store.webhook(ours["id"])
    assert webhook is not None
    await store.disable_webhook(webhook, reason="HTTP 500")

    listed = await lifecycle.webhooks("net_1", "org_1")
    assert [w["id"] for w in listed] == [ours["id"]]
    assert listed[0]["disabled"] and listed[0]["disabledReason"] == "HTTP 500"
    assert listed[0]["lastDelivery"]["statusCode"] == 204
    assert len(await lifecycle.webhooks("net_1", None)) == 2

    enabled = await lifecycle.enable(ours["id"])
    assert (enabled["disabled"], enabled["failures"], enabled["disabledReason"]) == (False, 0, None)

    deleted = await lifecycle.delete(ours["id"])
    assert deleted["id"] == ours["id"]
    assert await store.webhook(ours["id"]) is None
    assert await store.webhook_deliveries(ours["id"], 10) == []
    with pytest.raises(AppError) as missing:
        await lifecycle.enable(ours["id"])
    assert missing.value.code is ErrorCode.NOT_FOUND


async def test_the_delivery_log_keeps_the_newest_attempts(
    webhooks: tuple[WebhookService, WebhookLifecycle, NotificationStore, Clock],
) -> None:
    service, _, store, _ = webhooks
    hook = await service.register(WebhookInput(network_id="n", url="http://127.0.0.1/a"))
    for n in range(7):
        await store.log_webhook_attempt(hook["id"], f"d{n}", 200 + n, None)
        await store.trim_webhook_log(hook["id"], keep=3)
    kept = await store.webhook_deliveries(hook["id"], 10)
    assert [entry["status_code"] for entry in kept] == [206, 205, 204]


def test_an_overlap_longer_than_a_week_is_refused_naming_the_field() -> None:
    with pytest.raises(ValueError, match="overlap_seconds"):
        RotateSecretInput(overlap_seconds=8 * 24 * 3600)
