"""`/metrics` of a real stack, scraped over HTTP and parsed with prometheus-client's parser as
Prometheus would: every service answers with its name on its series; a burst of poison
messages shows the consumer lag rise and drain and the DLQ counter count each one; a webhook
that keeps failing counts its failures and its disabling; and every metric the alert rules and
the dashboard query is in a scrape. On the session's stack: the counters are read as what this
module added to them. (The outbox's backlog and age while the broker is away: test_operations,
on a stack of its own.)"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from deploy.stack import Stack
from shared import contracts as c
from shared.settings import SERVICES
from tests.support import http
from tests.support.events import produce
from tests.support.monitoring import monitored_names
from tests.support.notifications import two_partners
from tests.support.receiver import Receiver
from tests.support.scrape import Scrape, scrape, scrape_until, total

pytestmark = pytest.mark.integration

BURST_TOPIC = "milestone.reached"  # only notifications consumes it
BURST = 300
DLQ = "commonweave_messaging_dlq_messages_total"
LAG = "commonweave_messaging_consumer_lag"
DELIVERIES = "commonweave_notifications_deliveries_total"
DISABLED = "commonweave_notifications_webhooks_disabled_total"
READY = "commonweave_service_ready"


@dataclass(frozen=True)
class Burst:
    dead_before: float
    dead_after: float
    largest_lag: float


async def publish_poison(bootstrap: str, count: int) -> None:
    """Bodies no contract accepts, without CloudEvent headers, from a plain producer."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        sent = [
            await producer.send(BURST_TOPIC, b"not json", key=f"poison-{n}".encode())
            for n in range(count)
        ]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


@pytest.fixture(scope="module")
def burst(stack: Stack) -> Burst:
    """BURST poison messages at once; notifications' /metrics read as fast as it answers
    while its group works through them."""
    on_topic = {"messaging_destination_name": BURST_TOPIC}
    dead_before = total(scrape(stack, "notifications"), DLQ, **on_topic)
    asyncio.run(publish_poison(stack.settings.kafka_bootstrap, BURST))
    largest_lag, deadline = 0.0, time.monotonic() + 120
    with httpx.Client() as client:
        while time.monotonic() < deadline:
            samples = scrape(stack, "notifications", client)
            largest_lag = max(largest_lag, total(samples, LAG, **on_topic))
            if total(samples, DLQ, **on_topic) >= dead_before + BURST:
                break
    samples = scrape_until(stack, "notifications", lambda s: total(s, LAG, **on_topic) == 0, 30)
    return Burst(dead_before, total(samples, DLQ, **on_topic), largest_lag)


@pytest.fixture(scope="module")
def failing_webhook(stack: Stack) -> tuple[Scrape, Scrape]:
    """The scrapes before and after a webhook that answers 500 to everything was disabled."""
    partnership, admins = two_partners(stack)
    before = scrape(stack, "notifications")
    receiver = Receiver(status=500)
    try:
        admins[0][0].data(
            "mutation($i: RegisterWebhookInput!) { registerWebhook(input: $i) { secret } }",
            {"i": {"url": receiver.url, "organizationId": partnership.organization_ids[0]}},
        )
        milestone = c.MilestoneReached(partnership=partnership, milestone_id="m", title="Kickoff")
        asyncio.run(
            produce(
                stack.settings.kafka_bootstrap,
                "milestone.reached",
                partnership.partnership_id,
                milestone,
            )
        )
        disabled = total(before, DISABLED)
        after = scrape_until(stack, "notifications", lambda s: total(s, DISABLED) > disabled, 60)
    finally:
        receiver.close()
    return before, after


def test_every_service_serves_its_metrics_under_its_own_name(stack: Stack) -> None:
    for service in SERVICES:
        # the stack runner probes each service: ready again soon if one probe missed its 2 s
        samples = scrape_until(stack, service, lambda s: s[READY][0].value == 1, 30)
        [ready] = samples[READY]
        assert ready.labels["service_name"] == service
        assert samples["target_info"][0].labels["service_name"] == service


def test_a_request_through_a_proxy_finds_no_metrics_on_the_gateway(stack: Stack) -> None:
    response = http.get(
        f"{stack.settings.url_of('gateway')}/metrics", headers={"x-forwarded-for": "203.0.113.7"}
    )
    assert response.status_code == 404


def test_poison_messages_raise_the_lag_then_the_dlq_counter_by_one_each(burst: Burst) -> None:
    assert burst.largest_lag > 0  # seen behind while it worked through the burst
    assert burst.dead_after - burst.dead_before == BURST


def test_a_dead_lettered_message_is_labelled_with_its_group_topic_and_reason(
    stack: Stack, burst: Burst
) -> None:
    [dead] = [
        s
        for s in scrape(stack, "notifications")[DLQ]
        if s.labels["messaging_destination_name"] == BURST_TOPIC
    ]
    assert dead.labels["messaging_consumer_group_name"] == "notifications"
    assert dead.labels["commonweave_dlq_reason"] == "unparseable"
    assert dead.labels["service_name"] == "notifications"


def test_a_failing_webhook_counts_its_failures_and_its_disabling(
    failing_webhook: tuple[Scrape, Scrape],
) -> None:
    before, after = failing_webhook
    webhook = {"commonweave_delivery_channel": "webhook"}
    failed = {**webhook, "commonweave_delivery_outcome": "failed"}
    # the series are there whether or not anything failed yet (created at zero)
    assert any(s.labels.items() >= failed.items() for s in before.get(DELIVERIES, []))
    assert DISABLED in before
    # the session's stack: what this webhook added (webhook_max_failures is 2)
    assert total(after, DELIVERIES, **failed) - total(before, DELIVERIES, **failed) >= 2
    assert total(after, DISABLED) - total(before, DISABLED) == 1


def test_every_metric_the_alerts_and_the_dashboard_use_is_in_a_scrape(
    stack: Stack, burst: Burst, failing_webhook: tuple[Scrape, Scrape]
) -> None:
    scraped = {name for service in SERVICES for name in scrape(stack, service)}
    assert monitored_names() - scraped == set()
