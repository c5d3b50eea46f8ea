"""Metrics over OTLP from a real stack: the services export to a local OTLP receiver (this
test's), as they would to the compose collector. A poison message shows up as a consumed
message and a dead-lettered one with its reason; every consumer group reports its lag per
topic and every service's relay its outbox backlog and oldest pending age."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.common.v1.common_pb2 import KeyValue

from deploy.stack import Stack
from shared.contracts.subscribers import lane_group
from tests.support.events import produce
from tests.support.stack import stack_settings
from tests.support.wait import eventually

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Point:
    service: str
    name: str
    attributes: dict[str, Any]
    value: float


@dataclass
class Receiver:
    """An OTLP/HTTP endpoint keeping the data points of every metrics export it receives."""

    points: list[Point] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, body: bytes) -> None:
        request = ExportMetricsServiceRequest.FromString(body)
        found = []
        for resource in request.resource_metrics:
            service = _attributes(resource.resource.attributes).get("service.name", "")
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    data = metric.gauge if metric.HasField("gauge") else metric.sum
                    for p in data.data_points:
                        value = p.as_int if p.HasField("as_int") else p.as_double
                        found.append(Point(service, metric.name, _attributes(p.attributes), value))
        with self.lock:
            self.points += found

    def latest(self, service: str, name: str, where: dict[str, Any] | None = None) -> Point | None:
        """The last data point of the metric from the service with these attributes."""
        with self.lock:
            points = list(self.points)
        for point in reversed(points):
            if (
                point.service == service
                and point.name == name
                and all(point.attributes.get(k) == v for k, v in (where or {}).items())
            ):
                return point
        return None


def _attributes(pairs: Any) -> dict[str, Any]:
    def value(kv: KeyValue) -> Any:
        field_name = kv.value.WhichOneof("value")
        return getattr(kv.value, field_name) if field_name else None

    return {kv.key: value(kv) for kv in pairs}


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[Receiver, str]]:
    received = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            if self.path == "/v1/metrics":
                received.take(body)
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield received, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def stack(
    receiver: tuple[Receiver, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    data_dir: Path = tmp_path_factory.mktemp("metrics")
    settings = stack_settings(data_dir, telemetry_exporter="otlp", otlp_endpoint=receiver[1])
    earlier = os.environ.get("OTEL_METRIC_EXPORT_INTERVAL")
    os.environ["OTEL_METRIC_EXPORT_INTERVAL"] = "500"  # the children's export interval, in ms
    try:
        with Stack(settings, report=lambda line: None) as running:
            yield running
    finally:
        if earlier is None:
            os.environ.pop("OTEL_METRIC_EXPORT_INTERVAL", None)
        else:
            os.environ["OTEL_METRIC_EXPORT_INTERVAL"] = earlier


def test_a_poison_message_is_counted_consumed_and_dead_lettered_with_its_reason(
    stack: Stack, receiver: tuple[Receiver, str]
) -> None:
    received, _ = receiver
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
    stack: Stack, receiver: tuple[Receiver, str]
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
