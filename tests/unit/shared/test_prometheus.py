"""`GET /metrics`: OpenTelemetry's instruments in the Prometheus text format, parsed back with
prometheus-client's own parser; the readiness probe's answers as a gauge and a count of
changes; nothing for a request that came through a proxy."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import Resource
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from shared.prometheus import PrometheusScrape, install_metrics
from shared.readiness_metrics import ReadinessMetrics


@dataclass
class Service:
    client: TestClient
    provider: MeterProvider
    probe: dict[str, bool]

    def samples(self) -> dict[str, list[Sample]]:
        response = self.client.get("/metrics")
        assert response.status_code == 200
        found: dict[str, list[Sample]] = {}
        for family in text_string_to_metric_families(response.text):
            for sample in family.samples:
                found.setdefault(sample.name, []).append(sample)
        return found

    def value(self, name: str) -> float:
        [sample] = self.samples()[name]
        return sample.value


@pytest.fixture
def service() -> Iterator[Service]:
    scrape = PrometheusScrape()
    provider = MeterProvider(
        resource=Resource.create({"service.name": "intake", "service.instance.id": "i-1"}),
        metric_readers=[scrape.reader],
    )
    meter = provider.get_meter("commonweave")
    probe = {"ready": True}
    app = FastAPI()

    @app.get("/health/ready")
    async def ready() -> JSONResponse:
        return JSONResponse({}, status_code=200 if probe["ready"] else 503)

    install_metrics(app, scrape, ReadinessMetrics(meter))
    meter.create_counter("commonweave.things", unit="{thing}").add(3, {"thing.kind": "a"})
    with TestClient(app) as client:
        yield Service(client, provider, probe)
    provider.shutdown()


def test_metrics_are_prometheus_text_with_the_service_on_every_series(service: Service) -> None:
    response = service.client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=")
    samples = service.samples()
    [things] = samples["commonweave_things_total"]  # the OpenTelemetry counter, renamed
    assert things.value == 3
    assert things.labels == {"service_name": "intake", "thing_kind": "a"}
    [info] = samples["target_info"]  # the rest of the resource, once
    assert info.labels["service_instance_id"] == "i-1"
    assert "process_resident_memory_bytes" in samples  # the process's own, beside them


def test_openmetrics_is_served_to_a_scraper_that_asks_for_it(service: Service) -> None:
    response = service.client.get(
        "/metrics", headers={"accept": "application/openmetrics-text; version=1.0.0"}
    )
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.rstrip().endswith("# EOF")


def test_readiness_answers_are_a_gauge_and_their_changes_a_counter(service: Service) -> None:
    assert "commonweave_service_ready" not in service.samples()  # never probed: no reading
    assert service.value("commonweave_service_readiness_changes_total") == 0

    service.client.get("/health/ready")
    assert service.value("commonweave_service_ready") == 1
    service.probe["ready"] = False
    service.client.get("/health/ready")
    service.client.get("/health/ready")
    assert service.value("commonweave_service_ready") == 0
    service.probe["ready"] = True
    service.client.get("/health/ready")
    assert service.value("commonweave_service_ready") == 1
    assert service.value("commonweave_service_readiness_changes_total") == 2


def test_a_request_through_a_proxy_finds_no_metrics(service: Service) -> None:
    response = service.client.get("/metrics", headers={"x-forwarded-for": "203.0.113.7"})
    assert response.status_code == 404
    assert "commonweave" not in response.text
