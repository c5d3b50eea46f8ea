"""`GET /metrics`: every metric of the process (shared.metrics lists them) in the Prometheus
text format, for a Prometheus server to scrape (deploy/monitoring has its rules and dashboard).

OpenTelemetry's Prometheus reader sits beside the OTLP one on the same meter provider, so the
two carry the same instruments; prometheus-client writes the exposition (OpenMetrics when the
scraper asks for it). Each process has a registry of its own (no global one), with the
process's CPU, memory and file descriptors and Python's GC beside OpenTelemetry's metrics.

Names follow OpenTelemetry's Prometheus mapping: dots become underscores, the unit is appended
(`_seconds`), counters end in `_total` (`commonweave.messaging.dlq.messages` is
`commonweave_messaging_dlq_messages_total`). Every series carries `service_name`; the rest of
the resource is on `target_info`.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from prometheus_client import (
    GCCollector,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import CollectorRegistry

from shared.readiness_metrics import ReadinessMetrics, ReadinessProbes

METRICS_PATH = "/metrics"
LABELLED_RESOURCE = frozenset({"service.name"})  # the one resource attribute on every series


class PrometheusScrape:
    """This process's metrics as a scrape answers them: hand `reader` to the meter provider
    (`setup_telemetry(readers=...)`), then `install_metrics` serves them."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.reader = PrometheusMetricReader(
            registry=self.registry,
            scope_info_enabled=False,  # one meter per library; its name would only add noise
            resource_attribute_filter=LABELLED_RESOURCE.__contains__,
        )
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)

    def exposition(self, accept: str | None) -> tuple[bytes, str]:
        """The body and content type of one scrape."""
        encode, content_type = choose_encoder(accept or "")
        return encode(self.registry), content_type


def install_metrics(
    app: FastAPI, scrape: PrometheusScrape, readiness: ReadinessMetrics | None = None
) -> None:
    """Serves `GET /metrics` and records the answers of the app's readiness probe."""
    app.add_middleware(ReadinessProbes, metrics=readiness or ReadinessMetrics())

    @app.get(METRICS_PATH, include_in_schema=False)
    async def metrics(request: Request) -> Response:
        # For the scraper inside the cluster only: a request that came through a proxy (the
        # gateway's ingress sets X-Forwarded-For) is answered as if there were no such page.
        if "x-forwarded-for" in request.headers:
            return Response(status_code=404)
        body, content_type = scrape.exposition(request.headers.get("accept"))
        return Response(body, media_type=content_type)
