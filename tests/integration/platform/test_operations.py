"""Health and metrics on one supervised stack of this module's own, whose data directory's free
space is watched on a small tmpfs (shared/health.py, shared/disk.py, deploy/probes.py) and
whose services export their metrics over OTLP to a local receiver (tests/support/otlp.py), as
they would to the compose collector. Metrics first, while nothing is broken:

- a poison message shows up as a consumed message and a dead-lettered one with its reason;
  every consumer group reports its lag per topic, every service's relay its outbox backlog and
  oldest pending age;
- the broker paused: the gateway and intake stay ready, registrations are accepted, intake's
  outbox backlog and its oldest pending age grow in its Prometheus scrape, and every welcome
  arrives (the backlog back to 0) once it is back;
- the store paused: the gateway's probe answers within its short timeout, and the runner
  restarts the jammed store with no person;
- the disk below its high watermark: writes refused UNAVAILABLE, retryable, saying storage
  is full, reads go on, and writes resume by themselves once space is freed."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from deploy.stack import Stack
from shared.contracts.subscribers import lane_group
from tests.support import http
from tests.support.audit import effects, missing
from tests.support.events import produce
from tests.support.organizations import REGISTER, registration
from tests.support.otlp import Point, Receiver, otlp_receiver
from tests.support.scrape import AGE, BACKLOG, scrape, scrape_until, total
from tests.support.stack import Client, codes, create_network, stack_settings
from tests.support.supervision import Supervisor, supervised
from tests.support.wait import eventually

DISK_SIZE = 16_000_000  # the tmpfs the watermarks watch
HIGH_WATERMARK = 6_000_000  # free bytes below which writes are refused


@pytest.fixture(scope="module")
def disk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path | None]:
    """A small tmpfs to fill; None where one cannot be mounted (not root, a container)."""
    mount = tmp_path_factory.mktemp("disk")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_SIZE}", "tmpfs", str(mount)],
        capture_output=True,
    )
    yield mount if done.returncode == 0 else None
    if done.returncode == 0:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture(scope="module")
def reported() -> list[str]:
    """What the runner reported."""
    return []


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[Receiver, str]]:
    with otlp_receiver() as running:
        yield running


@pytest.fixture(scope="module", name="supervised")
def supervised_stack(
    disk: Path | None,
    reported: list[str],
    receiver: tuple[Receiver, str],
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch_module: pytest.MonkeyPatch,
) -> Iterator[Supervisor]:
    data_dir = tmp_path_factory.mktemp("operations")
    watched = {"disk_path": str(disk), "disk_high_watermark": str(HIGH_WATERMARK)} if disk else {}
    settings = stack_settings(
        data_dir,
        health_failures=2,
        health_interval_seconds=1.0,
        telemetry_exporter="otlp",
        otlp_endpoint=receiver[1],
        **watched,
    )
    # the children's metric export interval, in ms (read at their start)
    monkeypatch_module.setenv("OTEL_METRIC_EXPORT_INTERVAL", "500")
    with Stack(settings, report=reported.append) as stack, supervised(stack) as supervisor:
        yield supervisor


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def signal_component(stack: Stack, name: str, sig: signal.Signals) -> None:
    process = stack.components[name].process
    assert process is not None
    os.killpg(process.pid, sig)


def ready(stack: Stack, service: str) -> httpx.Response:
    return http.get(f"{stack.service_url(service)}/health/ready", timeout=30)  # type: ignore[arg-type]


def register(operator: Client, network_id: str, name: str) -> dict[str, Any]:
    return operator.execute(
        REGISTER,
        {"input": registration(network_id, name, f"{name.replace(' ', '')}@x.org")},
        headers={"Idempotency-Key": f"{network_id}-{name}"},
    )


def test_a_poison_message_is_counted_consumed_and_dead_lettered_with_its_reason(
    supervised: Supervisor, receiver: tuple[Receiver, str]
) -> None:
    stack, (received, _) = supervised.stack, receiver
    topic = "organization.registered"
    on_topic = {"messaging.destination.name": topic}
    asyncio.run(produce(stack.settings.kafka_bootstrap, topic, "org_poison", b"not json"))
    dead = eventually(
        lambda: received.latest("notifications", "commonweave.messaging.dlq.messages", on_topic),
        timeout=60,
    )
    assert dead.value >= 1
    # the group of the topic's lane: notifications reads registrations in its urgent lane
    assert dead.attributes["messaging.consumer.group.name"] == "notifications.urgent"
    assert dead.attributes["commonweave.dlq.reason"] == "unparseable"
    assert dead.attributes["error.type"] == "ValidationError"
    consumed = received.latest("notifications", "messaging.client.consumed.messages", on_topic)
    assert consumed is not None and consumed.value >= 1

    # Both services reading the topic have fetched it, so each reports its lag, under the
    # group of the topic's lane: none once read.
    for service in ("matching", "notifications"):

        def lag(service: str = service) -> Point | None:
            return received.latest(service, "commonweave.messaging.consumer.lag", on_topic)

        reported = eventually(lag, timeout=30)
        group = lane_group(service, topic)
        assert reported.attributes["messaging.consumer.group.name"] == group
        assert reported.attributes["messaging.system"] == "kafka"
        eventually(lambda lag=lag: (point := lag()) is not None and point.value == 0, timeout=30)


def test_every_services_relay_reports_its_outbox(
    supervised: Supervisor, receiver: tuple[Receiver, str]
) -> None:
    received, _ = receiver
    for service in ("intake", "matching", "commitments", "notifications"):
        backlog = eventually(
            lambda s=service: received.latest(s, "commonweave.outbox.backlog"),
            timeout=30,
        )
        assert backlog.value >= 0
        age = received.latest(service, "commonweave.outbox.oldest_pending.age")
        assert age is not None and age.value >= 0


def test_a_paused_broker_leaves_the_gateway_and_intake_ready_and_every_welcome_arrives(
    supervised: Supervisor,
) -> None:
    stack = supervised.stack
    network = create_network(stack, "Broker Pause Network")
    operator = Client(stack.graphql_url, network["operatorToken"])
    supervised.running.clear()
    signal_component(stack, "broker", signal.SIGSTOP)
    try:
        accepted = []
        for i in range(5):
            body = register(operator, network["networkId"], f"Paused Broker Org {i}")
            assert not body.get("errors"), body
            accepted.append(body["data"]["registerOrganization"]["organization"]["id"])
        gateway, intake = ready(stack, "gateway"), ready(stack, "intake")
        assert gateway.status_code == 200, gateway.json()
        assert intake.status_code == 200, intake.json()
        assert intake.json()["status"] == "degraded"
        assert intake.json()["dependencies"]["mongo"] == "ok"
        assert intake.json()["dependencies"]["kafka"].startswith("down")
        assert gateway.json()["dependencies"]["intake"].startswith("degraded")
        # The relay retries the first event it read and reads no further while Kafka is away,
        # so its backlog is what it saw then (at least that event); the age keeps growing.
        first = scrape_until(
            stack, "intake", lambda s: total(s, BACKLOG) >= 1 and total(s, AGE) > 1, 30
        )
        time.sleep(1.5)
        assert total(scrape(stack, "intake"), AGE) > total(first, AGE)  # still waiting, older
    finally:
        signal_component(stack, "broker", signal.SIGCONT)
        supervised.running.set()
    assert eventually(lambda: not missing(effects(stack, accepted), accepted), timeout=120)
    eventually(
        lambda: (s := scrape(stack, "intake")) and total(s, BACKLOG) == 0 and total(s, AGE) == 0,
        timeout=90,
    )


def test_a_paused_store_is_restarted_by_the_runner_and_probes_answer_at_once(
    supervised: Supervisor, reported: list[str]
) -> None:
    stack = supervised.stack
    store = stack.components["mongo"]
    restarts = len(store.restarts)
    signal_component(stack, "mongo", signal.SIGSTOP)
    paused_at = time.monotonic()
    gateway = ready(stack, "gateway")
    took = time.monotonic() - paused_at
    # bounded by the health timeout (2 s, and 1.5 s more at the gateway), not 8 s or more
    assert took < 5.0, took
    assert gateway.status_code == 503, gateway.json()
    assert all(v.startswith("down") for v in gateway.json()["dependencies"].values())

    eventually(lambda: len(store.restarts) > restarts, timeout=60, interval=0.2)
    restarted_in = time.monotonic() - paused_at
    assert any("mongo failed its health check" in line for line in reported)
    assert restarted_in < 30, restarted_in
    assert not stack.components["broker"].restarts  # its check passes: it was never jammed

    network = eventually(lambda: _network_or_none(stack), timeout=60, interval=0.25)
    operator = Client(stack.graphql_url, network["operatorToken"])
    body = eventually(
        lambda: (
            (b := register(operator, network["networkId"], "After Store Jam")).get("data") and b
        ),
        timeout=60,
        interval=0.25,
    )
    assert body["data"]["registerOrganization"]["organization"]["name"] == "After Store Jam"


def _network_or_none(stack: Stack) -> dict[str, str] | None:
    try:
        return create_network(stack, "After The Jam")
    except httpx.HTTPError:
        return None


def test_below_the_high_watermark_writes_are_refused_reads_go_on_and_writes_resume(
    supervised: Supervisor, disk: Path | None
) -> None:
    if disk is None:
        pytest.skip(
            "no tmpfs could be mounted here; tests/unit/shared/test_disk.py drives the check"
        )
    stack = supervised.stack
    network = create_network(stack, "Full Disk Network")
    operator = Client(stack.graphql_url, network["operatorToken"])
    before = register(operator, network["networkId"], "Written Before")["data"]
    fill = disk / "fill"
    fill.write_bytes(b"\0" * (DISK_SIZE - HIGH_WATERMARK + 2_000_000))
    try:
        # a new registration each time (the watch reads the free space at most once a second,
        # so the first may still be written; a retry of it would get its answer, not a refusal)
        attempts = itertools.count()
        errors = eventually(
            lambda: register(operator, network["networkId"], f"Refused {next(attempts)}").get(
                "errors"
            ),
            timeout=15,
        )
        assert codes(errors) == ["UNAVAILABLE"], errors
        assert errors[0]["extensions"]["retryable"] is True
        assert "storage is full" in errors[0]["message"]
        # meanwhile, a retry of a write that happened gets its answer (a client's timeout, then the
        # disk filled), rather than a refusal that would tell it the write failed
        assert register(operator, network["networkId"], "Written Before")["data"] == before
        assert operator.data("{ me { role } }") == {"me": {"role": "OPERATOR"}}  # reads go on
        intake = ready(stack, "intake")
        assert intake.status_code == 200
        assert intake.json()["dependencies"]["storage"].startswith("full")
    finally:
        fill.unlink()
    body = eventually(
        lambda: (b := register(operator, network["networkId"], "Full Disk Org")).get("data") and b,
        timeout=15,
    )
    assert body["data"]["registerOrganization"]["organization"]["name"] == "Full Disk Org"
