"""OpenTelemetry for one process: a tracer provider whose resource names the service, its
version and its deployment environment, an exporter chosen by settings (OTLP, a local JSONL
file per service, or off), and PyMongo / httpx instrumentation on the stable HTTP and database
semantic conventions. FastStream's own telemetry middleware carries the trace across Kafka
(see `shared.broker`)."""

from __future__ import annotations

import json
import os
import re
import threading
import uuid
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from opentelemetry import trace
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.pymongo import PymongoInstrumentor
from opentelemetry.sdk.metrics.export import MetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.semconv.attributes.db_attributes import DB_OPERATION_NAME
from opentelemetry.semconv.attributes.server_attributes import SERVER_ADDRESS, SERVER_PORT
from opentelemetry.trace import Span
from pymongo.monitoring import CommandStartedEvent

from shared.kafka_telemetry import CreateSpans, CurrentMessagingNames
from shared.metrics import setup_metrics
from shared.settings import Settings


class JsonlSpanExporter(SpanExporter):
    """Appends finished spans to `<dir>/<service>.jsonl`, the source of `commonweave traces`.
    The file rotates at `max_bytes`, `backups` older ones kept as `<service>.1.jsonl` … (still
    read by `commonweave traces`): an hour's soak wrote 400 MB of spans, and nothing else
    bounded them."""

    def __init__(self, directory: Path, service: str, max_bytes: int = 0, backups: int = 1) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._path = directory / f"{service}.jsonl"
        self._service = service
        self._max_bytes = max_bytes  # 0: never rotates
        self._backups = backups
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = [json.dumps(self._to_line(span), default=_as_text) for span in spans]
        text = "\n".join(lines) + "\n"
        with self._lock:
            if self._max_bytes and self._size() + len(text) > self._max_bytes:
                self._rotate()
            with self._path.open("a", encoding="utf-8") as out:
                out.write(text)
        return SpanExportResult.SUCCESS

    def _size(self) -> int:
        try:
            return self._path.stat().st_size
        except FileNotFoundError:
            return 0

    def _rotate(self) -> None:
        """`<service>.jsonl` becomes `<service>.1.jsonl`, `.1` becomes `.2` …, the oldest
        dropped (with no backups kept, the file starts again empty)."""
        older = [self._path.with_suffix(f".{n}.jsonl") for n in range(1, self._backups + 1)]
        for source, target in zip(
            reversed([self._path, *older[:-1]]), reversed(older), strict=True
        ):
            if source.exists():
                source.replace(target)
        if not self._backups:
            self._path.unlink(missing_ok=True)

    def _to_line(self, span: ReadableSpan) -> dict[str, object]:
        context = span.get_span_context()
        assert context is not None
        return {
            "trace_id": f"{context.trace_id:032x}",
            "span_id": f"{context.span_id:016x}",
            "parent_id": f"{span.parent.span_id:016x}" if span.parent else None,
            "name": span.name,
            "service": self._service,
            "kind": span.kind.name,
            "start": span.start_time,
            "end": span.end_time,
            "status": span.status.status_code.name,
            **({"status_message": span.status.description} if span.status.description else {}),
            **({"exception": exception} if (exception := _exception(span)) else {}),
            "attributes": dict(span.attributes or {}),
        }


def _exception(span: ReadableSpan) -> str | None:
    """`Type: message` of the last exception recorded on the span."""
    for event in reversed(span.events):
        if event.name == "exception" and event.attributes:
            kind, message = (
                event.attributes.get(f"exception.{k}", "") for k in ("type", "message")
            )
            return f"{kind}: {message}" if message else str(kind)
    return None


def _as_text(value: object) -> object:
    """Bytes attributes (FastStream's Kafka keys) as text, not as `b'...'`."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="backslashreplace")
    return str(value)


SEMCONV_OPT_IN = "OTEL_SEMCONV_STABILITY_OPT_IN"
STABLE_SEMCONV = "http,database"


def opt_in_to_stable_semconv() -> None:
    """The instrumentations (FastAPI, httpx, PyMongo) emit the stable HTTP and database semantic
    conventions (`http.request.method`, `url.full`, `db.system.name`, `db.namespace` ...), not
    the old experimental names. They read the variable once, when the first of them is set up,
    so this runs before any. An operator's own value (say `http/dup,database/dup`, to emit both
    while dashboards move) wins."""
    os.environ.setdefault(SEMCONV_OPT_IN, STABLE_SEMCONV)


def service_resource(service: str, settings: Settings) -> Resource:
    """What every span of this process says about where it comes from."""
    try:
        service_version = version("commonweave")
    except PackageNotFoundError:
        service_version = "unknown"
    return Resource.create(
        {
            "service.name": service,
            "service.namespace": "commonweave",
            "service.version": service_version,
            "service.instance.id": str(uuid.uuid4()),
            "deployment.environment.name": settings.environment,
        }
    )


def setup_telemetry(
    service: str, settings: Settings, metric_readers: Sequence[MetricReader] = ()
) -> TracerProvider:
    """`metric_readers`: beside OTLP's, such as the one `/metrics` answers from."""
    opt_in_to_stable_semconv()
    resource = service_resource(service, settings)
    meter_provider = setup_metrics(resource, settings, metric_readers)
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(CreateSpans())  # FastStream's create spans say so
    exporter: SpanExporter | None = None
    if settings.telemetry_exporter == "file":
        exporter = JsonlSpanExporter(
            settings.trace_dir, service, settings.trace_file_max_bytes, settings.trace_file_backups
        )
    elif settings.telemetry_exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=f"{settings.otlp_endpoint.rstrip('/')}/v1/traces")
    if exporter is not None:
        batch = BatchSpanProcessor(exporter, schedule_delay_millis=500)
        provider.add_span_processor(CurrentMessagingNames(batch))
    # One process runs one service, so the global provider is this service's provider; the
    # instrumentations below and FastStream's middleware receive it explicitly anyway.
    trace.set_tracer_provider(provider)
    instrument_database(provider)
    HTTPXClientInstrumentor().instrument(tracer_provider=provider, meter_provider=meter_provider)
    return provider


# the probes' and the scraper's paths: asked every few seconds, never by a user
PROBE_PATHS = ("/health", "/health/live", "/health/ready", "/metrics")


def untraced_urls(paths: Sequence[str] = PROBE_PATHS, prefixes: Sequence[str] = ()) -> str:
    """The instrumentation's `excluded_urls` for exactly `paths` and whatever starts with one of
    `prefixes`. It searches each pattern anywhere in the full URL (`http://host:port/path`,
    without the query), so a bare `health` would also leave `/dashboard/.../health.svg`
    untraced: every pattern here is anchored after the host."""
    at_path = r"^[a-z]+://[^/]+"
    exact = [f"{at_path}{re.escape(path)}$" for path in paths]
    starts = [f"{at_path}{re.escape(prefix)}" for prefix in prefixes]
    if any("," in pattern for pattern in exact + starts):  # the setting is split on commas
        raise ValueError(f"a path to leave untraced holds a comma: {[*paths, *prefixes]}")
    return ",".join(exact + starts)


def instrument_database(provider: TracerProvider) -> None:
    """PyMongo's commands as client spans, with `db.operation.name` and the server apart."""
    PymongoInstrumentor().instrument(tracer_provider=provider, request_hook=database_span_details)


def database_span_details(span: Span, event: CommandStartedEvent) -> None:
    """What the PyMongo instrumentation leaves out: the command as `db.operation.name`, and
    the server's host in `server.address` with its port apart in `server.port` (a host given
    as `host:port` is split; an IPv6 address keeps its colons)."""
    if not span.is_recording():
        return
    span.set_attribute(DB_OPERATION_NAME, event.command_name)
    host, port = event.connection_id
    if port is None and host.count(":") == 1:  # "mongo:27017"
        name, _, number = host.partition(":")
        if number.isdigit():
            host, port = name, int(number)
    span.set_attribute(SERVER_ADDRESS, host)
    if port is not None:
        span.set_attribute(SERVER_PORT, int(port))


def current_trace_id() -> str | None:
    context = trace.get_current_span().get_span_context()
    return f"{context.trace_id:032x}" if context.is_valid else None
