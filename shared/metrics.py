"""Metrics next to the traces, over OTLP (`COMMONWEAVE_TELEMETRY_EXPORTER=otlp`): one meter
provider per process, with the same resource as its spans, made the global one so the FastAPI
and httpx instrumentations record request latency on it (`http.server.request.duration`,
`http.client.request.duration`, in seconds, under the stable conventions)."""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource

from shared.settings import Settings

EXPORT_INTERVAL_MS = 15_000


def setup_metrics(
    resource: Resource, settings: Settings, readers: Sequence[MetricReader] = ()
) -> MeterProvider:
    all_readers = list(readers)
    if settings.telemetry_exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

        endpoint = f"{settings.otlp_endpoint.rstrip('/')}/v1/metrics"
        all_readers.append(
            PeriodicExportingMetricReader(
                OTLPMetricExporter(endpoint=endpoint), export_interval_millis=EXPORT_INTERVAL_MS
            )
        )
    provider = MeterProvider(resource=resource, metric_readers=all_readers)
    metrics.set_meter_provider(provider)
    return provider
