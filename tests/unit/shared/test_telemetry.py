"""Telemetry: every span names its service, version and environment in its resource, the
HTTP and database instrumentations emit the stable semantic conventions, and request latency
is a metric. Spans are read from
the SDK's in-memory exporter."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from opentelemetry.instrumentation import _semconv
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.pymongo import PymongoInstrumentor
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pymongo import monitoring

from shared.metrics import setup_metrics
from shared.settings import Settings
from shared.telemetry import (
    SEMCONV_OPT_IN,
    database_span_details,
    instrument_database,
    opt_in_to_stable_semconv,
    service_resource,
    untraced_urls,
)

Stability = _semconv._OpenTelemetrySemanticConventionStability


@pytest.fixture
def spans() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=service_resource("matching", Settings(environment="ci")))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider, exporter
    provider.shutdown()


@pytest.fixture
def fresh_semconv(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The instrumentations read the opt-in once per process: start this test from unread."""
    monkeypatch.delenv(SEMCONV_OPT_IN, raising=False)
    mapping = dict(Stability._OTEL_SEMCONV_STABILITY_SIGNAL_MAPPING)
    monkeypatch.setattr(Stability, "_initialized", False)
    yield
    Stability._OTEL_SEMCONV_STABILITY_SIGNAL_MAPPING.update(mapping)


def test_spans_carry_the_service_its_version_and_environment(spans: Any) -> None:
    provider, exporter = spans
    with provider.get_tracer("test").start_as_current_span("work"):
        pass
    resource = exporter.get_finished_spans()[0].resource.attributes
    assert resource["service.name"] == "matching"
    assert resource["service.namespace"] == "commonweave"
    assert resource["service.version"] not in ("", "unknown")
    assert resource["deployment.environment.name"] == "ci"
    assert resource["service.instance.id"]


async def test_http_client_spans_use_the_stable_conventions(
    spans: Any, fresh_semconv: None
) -> None:
    provider, exporter = spans
    opt_in_to_stable_semconv()
    client = httpx.AsyncClient(transport=httpx.MockTransport(lambda _: httpx.Response(204)))
    HTTPXClientInstrumentor.instrument_client(client, tracer_provider=provider)
    try:
        await client.get("http://intake:8001/organizations/org_1")
    finally:
        HTTPXClientInstrumentor.uninstrument_client(client)
        await client.aclose()
    attributes = exporter.get_finished_spans()[0].attributes
    assert attributes["http.request.method"] == "GET"
    assert attributes["url.full"] == "http://intake:8001/organizations/org_1"
    assert attributes["http.response.status_code"] == 204
    assert "http.method" not in attributes and "http.url" not in attributes


def test_database_spans_use_the_stable_conventions(spans: Any, fresh_semconv: None) -> None:
    provider, exporter = spans
    opt_in_to_stable_semconv()
    instrumentor = PymongoInstrumentor()  # a process-wide singleton
    was_on = instrumentor.is_instrumented_by_opentelemetry  # by an earlier test's app
    if was_on:
        instrumentor.uninstrument()
    # an earlier instrumentation's listener keeps its tracer provider: take a fresh one
    earlier = instrumentor._commandtracer_instance
    instrumentor._commandtracer_instance = None
    instrument_database(provider)
    try:
        # the command events PyMongo's monitoring hands the instrumentation's listener
        listener = instrumentor._commandtracer_instance
        address = ("mongo", 27017)
        command = {"find": "organizations", "filter": {}}
        listener.started(
            monitoring.CommandStartedEvent(command, "commonweave_intake", 1, address, 1)
        )
        listener.succeeded(
            monitoring.CommandSucceededEvent(
                timedelta(milliseconds=2),
                {"ok": 1},
                "find",
                1,
                address,
                1,
                database_name="commonweave_intake",
            )
        )
    finally:
        instrumentor.uninstrument()
        instrumentor._commandtracer_instance = earlier
        if was_on:
            instrumentor.instrument()
    attributes = exporter.get_finished_spans()[0].attributes
    assert attributes["db.system.name"] == "mongodb"
    assert attributes["db.namespace"] == "commonweave_intake"
    assert attributes["db.collection.name"] == "organizations"
    assert "db.system" not in attributes and "db.name" not in attributes
    assert attributes["db.operation.name"] == "find"
    assert (attributes["server.address"], attributes["server.port"]) == ("mongo", 27017)


@pytest.mark.parametrize(
    ("address", "host", "port"),
    [
        (("mongo-0.mongo", 27017), "mongo-0.mongo", 27017),
        (("mongo:27018", None), "mongo", 27018),
        (("::1", 27017), "::1", 27017),
        (("/tmp/mongodb-27017.sock", None), "/tmp/mongodb-27017.sock", None),
    ],
)
def test_database_spans_name_the_operation_and_keep_the_port_apart(
    spans: Any, address: tuple[str, int | None], host: str, port: int | None
) -> None:
    provider, exporter = spans
    event = monitoring.CommandStartedEvent(
        {"aggregate": "needs", "pipeline": []}, "commonweave_matching", 1, address, 1
    )
    with provider.get_tracer("test").start_as_current_span("db") as span:
        database_span_details(span, event)
    attributes = exporter.get_finished_spans()[0].attributes
    assert attributes["db.operation.name"] == "aggregate"
    assert attributes["server.address"] == host
    assert attributes.get("server.port") == port


def test_an_operators_own_opt_in_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SEMCONV_OPT_IN, "http/dup,database/dup")
    opt_in_to_stable_semconv()
    assert os.environ[SEMCONV_OPT_IN] == "http/dup,database/dup"


def test_request_latency_is_a_metric_with_the_service_resource(fresh_semconv: None) -> None:
    opt_in_to_stable_semconv()
    reader = InMemoryMetricReader()
    resource = service_resource("intake", Settings(environment="ci"))
    provider = setup_metrics(resource, Settings(telemetry_exporter="off"), [reader])
    app = FastAPI()
    app.get("/ping")(lambda: {"ok": True})
    FastAPIInstrumentor.instrument_app(app, meter_provider=provider)
    with TestClient(app) as client:
        assert client.get("/ping").status_code == 200
    data = reader.get_metrics_data()
    assert data is not None
    [resource_metrics] = data.resource_metrics
    assert resource_metrics.resource.attributes["service.name"] == "intake"
    names = {m.name for scope in resource_metrics.scope_metrics for m in scope.metrics}
    assert "http.server.request.duration" in names
    provider.shutdown()


def test_only_the_health_paths_themselves_go_untraced(spans: Any) -> None:
    provider, exporter = spans
    app = FastAPI()
    for path in (
        "/health",
        "/health/live",
        "/health/ready",
        "/metrics",
        "/dashboard/{n}/health.svg",
    ):
        app.get(path)(lambda: {"ok": True})
    app.get("/static/graphiql/{name}")(lambda: {"ok": True})
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=provider,
        excluded_urls=untraced_urls(prefixes=("/static/graphiql/",)),
        exclude_spans=["receive", "send"],
    )
    with TestClient(app) as client:
        for path in (
            "/health",
            "/health/live",
            "/health/ready?verbose=1",
            "/metrics",
            "/dashboard/net_1/health.svg",
            "/static/graphiql/app.js",
        ):
            assert client.get(path).status_code == 200
    traced = [span.attributes["url.path"] for span in exporter.get_finished_spans()]
    assert traced == ["/dashboard/net_1/health.svg"]
