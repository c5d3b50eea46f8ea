"""Webhooks: URL checks, Standard Webhooks secrets and signatures (verified with the
`standardwebhooks` library, as a receiver would), and the delivery worker over the fake unit
of work: the address check at each send, and a webhook that keeps failing disabled once, its
owners told as of any notification."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from services.notifications.domain.standard_webhooks import new_secret, signed_headers
from services.notifications.service import DeliveryWorker
from services.notifications.service.egress import check_url
from services.notifications.store.queue import webhook_post_doc
from services.notifications.store.recipients import recipient_doc
from shared.clock import Clock
from shared.contracts import MemberRef
from shared.errors import AppError
from shared.settings import Settings
from tests.support.fake_notifications import FakeNotificationsUnitOfWork
from tests.support.receiver import Receiver

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/hook",
        "http://169.254.169.254/latest",
        "http://metadata.google.internal/x",
        "http://[fe80::1]/x",
        "http://127.0.0.1:9000/hook",
        "http://10.0.0.5/hook",
        "http://[::ffff:10.0.0.5]/hook",
        "http://100.64.0.1/hook",  # shared address space (carrier-grade NAT)
        "http://[2002:a9fe:a9fe::1]/hook",  # 6to4 of the metadata address
        "http://[2002:0a00:0005::1]/hook",  # 6to4 of a private address
        "http://[64:ff9b::a9fe:a9fe]/hook",  # NAT64 of the metadata address
        "http://[64:ff9b::7f00:1]/hook",  # NAT64 of loopback
        "http://[::ffff:169.254.169.254]/hook",  # IPv4-mapped metadata
        "http://192.0.0.170/hook",  # IETF protocol assignments
        "http://198.18.0.1/hook",  # benchmarking
        "http://240.0.0.1/hook",  # reserved
        "http://224.0.0.1/hook",  # multicast
        "http://[fc00::1]/hook",  # unique local
        "http://0.0.0.0/hook",
        "not a url",
    ],
)
async def test_dangerous_or_malformed_urls_are_refused_naming_the_field(url: str) -> None:
    with pytest.raises(AppError) as refused:
        await check_url(url, allow_loopback=False)
    assert refused.value.field == "input.url"


async def test_loopback_is_allowed_only_when_configured() -> None:
    assert await check_url("http://127.0.0.1:9000/hook", allow_loopback=True)
    with pytest.raises(AppError):
        await check_url("http://169.254.169.254/", allow_loopback=True)
    with pytest.raises(AppError):  # the metadata address behind 6to4, even in development
        await check_url("http://[2002:a9fe:a9fe::1]/", allow_loopback=True)


@pytest.mark.parametrize(
    "url",
    ["http://8.8.8.8/hook", "http://[2606:4700::1111]/hook", "http://[2002:0808:0808::1]/hook"],
)
async def test_globally_routable_addresses_are_allowed(url: str) -> None:
    assert await check_url(url, allow_loopback=False) == url


async def test_every_resolved_address_is_checked() -> None:
    async def resolve(host: str, port: int) -> list[str]:
        return ["8.8.8.8", "64:ff9b::a00:5"]  # one public answer, one NAT64 of 10.0.0.5

    with pytest.raises(AppError) as refused:
        await check_url("http://hooks.example.org/", allow_loopback=False, resolve=resolve)
    assert "10.0.0.5" in refused.value.message


def test_a_secret_is_whsec_and_base64() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 24


def test_the_standard_webhooks_library_verifies_exactly_the_signed_body() -> None:
    secret, body = new_secret(), b'{"a":1}'
    headers = signed_headers(secret, "msg_1", body, datetime.now(UTC))
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(body, headers) == {"a": 1}
    for wrong_secret, wrong_body in ((secret, b'{"a":2}'), (new_secret(), body)):
        with pytest.raises(WebhookVerificationError):
            Webhook(wrong_secret).verify(wrong_body, headers)
    stale = signed_headers(secret, "msg_1", body, datetime.now(UTC) - timedelta(minutes=10))
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, stale)


def test_a_secret_issued_before_standard_webhooks_still_signs() -> None:
    legacy = "whsec_" + base64.urlsafe_b64encode(bytes(range(250, 256)) * 4).decode().rstrip("=")
    headers = signed_headers(legacy, "msg_1", b"{}", datetime.now(UTC))
    standard = "whsec_" + legacy.removeprefix("whsec_").replace("-", "+").replace("_", "/")
    assert Webhook(standard).verify(b"{}", headers) == {}


class ChangingResolver:
    """A name whose answer changes between lookups, as under DNS rebinding."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        return [self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]]


def worker(
    receiver: Receiver, resolve: ChangingResolver, *, allow_loopback: bool, failures: int = 5
) -> tuple[DeliveryWorker, FakeNotificationsUnitOfWork]:
    """The delivery worker over a fake unit of work that holds one webhook, whose host name
    `resolve` answers."""
    secret = new_secret()
    receiver.secret = secret
    url = receiver.url.replace("127.0.0.1", "hooks.example.org")
    uow = FakeNotificationsUnitOfWork()
    uow.tables["webhooks"]["whk_1"] = {
        "_id": "whk_1",
        "network_id": "net_1",
        "organization_id": "org_1",
        "url": url,
        "secret": secret,
        "disabled": False,
        "failures": 0,
    }
    settings = Settings(
        webhook_allow_loopback=allow_loopback,
        webhook_timeout_seconds=5,
        webhook_max_failures=failures,
        _env_file=None,
    )
    clock = Clock()
    clock.set(NOW)
    return DeliveryWorker(lambda: uow, settings, clock, resolve=resolve), uow


def queue(uow: FakeNotificationsUnitOfWork, n: int) -> None:
    body = json.dumps({"specversion": "1.0", "id": f"evt_{n}", "data": {"n": n}})
    delivery = webhook_post_doc(f"evt_{n}:whk_1:webhook", "whk_1", body, NOW)
    uow.tables["deliveries"][delivery["_id"]] = delivery


def attempts(uow: FakeNotificationsUnitOfWork) -> list[tuple[int | None, str | None]]:
    logged = sorted(uow.tables["webhook_log"].values(), key=lambda a: a["_id"])
    return [(a["status_code"], a["error"]) for a in logged]


async def test_a_delivery_verifies_with_the_library_and_keeps_its_host_name() -> None:
    receiver = Receiver()
    try:
        resolve = ChangingResolver("127.0.0.1")
        deliveries, uow = worker(receiver, resolve, allow_loopback=True)
        queue(uow, 1)
        assert await deliveries.deliver_due() == 1
        assert uow.tables["deliveries"]["evt_1:whk_1:webhook"]["status"] == "sent"
        assert receiver.events[0]["data"] == {"n": 1} and receiver.bad_signatures == 0
        assert receiver.hosts[0].startswith("hooks.example.org:")  # connected to the IP
    finally:
        receiver.close()


async def test_a_name_that_turns_private_after_registration_is_refused_at_send_time() -> None:
    receiver = Receiver()  # really listening on loopback: without the check it would receive
    try:
        resolve = ChangingResolver("93.184.216.34", "127.0.0.1")
        deliveries, uow = worker(receiver, resolve, allow_loopback=False)
        url = uow.tables["webhooks"]["whk_1"]["url"]
        assert await check_url(url, allow_loopback=False, resolve=resolve) == url
        queue(uow, 1)
        assert await deliveries.deliver_due() == 0
        assert receiver.events == [] and receiver.hosts == []
        [(status, error)] = attempts(uow)
        assert status is None and "not a globally routable address (127.0.0.1)" in str(error)
    finally:
        receiver.close()


async def test_each_delivery_resolves_again_and_metadata_is_never_reached() -> None:
    receiver = Receiver()
    try:
        resolve = ChangingResolver("127.0.0.1", "169.254.169.254")
        deliveries, uow = worker(receiver, resolve, allow_loopback=True)
        queue(uow, 1)
        assert await deliveries.deliver_due() == 1
        queue(uow, 2)
        assert await deliveries.deliver_due() == 0
        assert len(receiver.events) == 1 and len(resolve.asked) == 2
        assert "metadata address (169.254.169.254)" in str(attempts(uow)[1][1])
    finally:
        receiver.close()


async def test_a_webhook_that_keeps_failing_is_disabled_once_and_its_owners_told() -> None:
    receiver = Receiver(status=500)
    try:
        deliveries, uow = worker(receiver, ChangingResolver("127.0.0.1"), allow_loopback=True,
                                 failures=2)  # fmt: skip
        uow.tables["recipients"]["mem_1"] = recipient_doc(
            MemberRef(member_id="mem_1", name="Ann", email="", role="ADMIN"), "net_1", "org_1", None
        )
        for n in range(2):
            queue(uow, n)
            assert await deliveries.deliver_due() == 0
        webhook = uow.tables["webhooks"]["whk_1"]
        assert (webhook["disabled"], webhook["disabled_reason"]) == (True, "HTTP 500")
        [told] = uow.events  # the inbox row and its event, as for any notification
        assert (told.type, told.subject, told.data["kind"]) == (
            "notification.created",
            "mem_1",
            "webhook.disabled",
        )
        [row] = uow.tables["inbox"].values()
        assert row["_id"] == told.data["notification_id"] and row["subject_id"] == "whk_1"
        retry = uow.tables["deliveries"]["evt_1:whk_1:webhook"]
        assert (retry["status"], retry["attempts"], retry["last_error"]) == (
            "pending",
            1,
            "HTTP 500",
        )
        queue(uow, 2)  # disabled: skipped, not sent, and nobody told again
        assert await deliveries.deliver_due() == 0
        assert uow.tables["deliveries"]["evt_2:whk_1:webhook"]["status"] == "skipped"
        assert len(uow.events) == 1 and len(receiver.raw) == 2
    finally:
        receiver.close()
