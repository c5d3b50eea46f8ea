"""Metrics next to the traces: one meter provider per process, with the same resource as its
spans, read by the readers it is given (`/metrics`'s, shared.prometheus) and, with
`COMMONWEAVE_TELEMETRY_EXPORTER=otlp`, exported over OTLP; made the global one so the FastAPI
and httpx instrumentations record request latency on it (`http.server.request.duration`,
`http.client.request.duration`, in seconds, under the stable conventions), and FastStream's
middleware its `messaging.publish.duration` and `messaging.process.duration`.

Beside them, Commonweave's own (the README's table lists them all), on `meter()`: the consumer
group's (`shared.consumer_metrics`: messages consumed, lag, dead-lettered messages), the
outbox's (`shared.outbox_metrics`: backlog, age of the oldest pending event), readiness
(`shared.readiness_metrics`), the gateway's operations
(`services.gateway.schema.operation_metrics`) and notifications' deliveries
(`services.notifications.service.delivery_metrics`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from opentelemetry import metrics
from opentelemetry.metrics import Meter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource

from shared.settings import Settings

EXPORT_INTERVAL_MS = 15_000  # unless OTEL_METRIC_EXPORT_INTERVAL (ms) says otherwise
METER_NAME = "commonweave"


def setup_metrics(
    resource: Resource, settings: Settings, readers: Sequence[MetricReader] = ()
) -> MeterProvider:
    all_readers = list(readers)
    if settings.telemetry_exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

        endpoint = f"{settings.otlp_endpoint.rstrip('/')}/v1/metrics"
        interval = float(os.environ.get("OTEL_METRIC_EXPORT_INTERVAL", EXPORT_INTERVAL_MS))
        all_readers.append(
            PeriodicExportingMetricReader(
                OTLPMetricExporter(endpoint=endpoint), export_interval_millis=interval
            )
        )
    provider = MeterProvider(resource=resource, metric_readers=all_readers)
    metrics.set_meter_provider(provider)
    return provider


def meter(provider: metrics.MeterProvider | None = None) -> Meter:
    """The meter of Commonweave's own instruments: the given provider's, else the global one
    (`setup_metrics` makes it so before anything records)."""
    return metrics.get_meter(METER_NAME, meter_provider=provider)
