"""A local OTLP/HTTP endpoint that keeps the metric data points the services export to it, as
the compose collector would receive them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.common.v1.common_pb2 import KeyValue


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


@contextmanager
def otlp_receiver() -> Iterator[tuple[Receiver, str]]:
    """A receiver on a free port, and its base URL (the services' `otlp_endpoint`)."""
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
    try:
        yield received, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
