"""Structured logs (`shared.logs`): JSON lines carrying the current span's ids, which
`commonweave traces` reads back; and span files that keep Kafka keys and errors readable."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from faststream.kafka import TestKafkaBroker
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status, StatusCode

from deploy.traces import LogLine, Span, key_attributes, load_spans, scan_logs
from shared.broker import kafka_broker
from shared.logs import JsonFormatter, log_handler
from shared.settings import Settings
from shared.telemetry import JsonlSpanExporter


@pytest.fixture
def capture() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger whose records go through the JSON handler into a buffer."""
    out = io.StringIO()
    handler = log_handler("matching", "json")
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(out)
    logger = logging.getLogger("tests.structured")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, out
    logger.removeHandler(handler)


def lines(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_a_log_line_is_json_with_the_current_spans_ids(capture: Any) -> None:
    logger, out = capture
    provider = TracerProvider()
    with provider.get_tracer("test").start_as_current_span("work") as span:
        logger.warning("scored %d candidates", 5, extra={"topic": "need.reported"})
    logger.info("outside any span")
    inside, outside = lines(out)
    context = span.get_span_context()
    assert inside["trace_id"] == f"{context.trace_id:032x}"
    assert inside["span_id"] == f"{context.span_id:016x}"
    assert inside["message"] == "scored 5 candidates"
    assert (inside["level"], inside["service"], inside["logger"]) == (
        "WARNING",
        "matching",
        "tests.structured",
    )
    assert inside["topic"] == "need.reported"  # plain `extra=` fields come along
    assert inside["time"].endswith("+00:00")
    assert "trace_id" not in outside and "span_id" not in outside
    assert LogLine.model_validate(inside).trace_id == inside["trace_id"]


def test_an_exception_is_kept_with_its_traceback(capture: Any) -> None:
    logger, out = capture
    try:
        raise ValueError("no such need")
    except ValueError:
        logger.exception("import failed", extra={"payload": object()})
    (line,) = lines(out)
    assert line["exception"].startswith("Traceback")
    assert line["exception"].endswith("ValueError: no such need")
    assert "payload" not in line  # not a plain value


def test_the_formatter_reads_the_span_when_no_filter_stamped_the_record() -> None:
    record = logging.makeLogRecord({"msg": "hello", "levelname": "INFO", "name": "x"})
    with TracerProvider().get_tracer("test").start_as_current_span("work"):
        line = json.loads(JsonFormatter("intake").format(record))
    assert len(line["trace_id"]) == 32 and len(line["span_id"]) == 16


def test_text_format_leaves_the_human_format_to_basic_config(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert log_handler("intake", "text").formatter is None
    monkeypatch.setenv("COMMONWEAVE_LOG_FORMAT", "text")
    assert log_handler("intake").formatter is None
    monkeypatch.setenv("COMMONWEAVE_LOG_FORMAT", "json")
    assert isinstance(log_handler("intake").formatter, JsonFormatter)
    assert Settings(_env_file=None).log_format == "json"  # type: ignore[call-arg]


def test_the_viewer_finds_the_lines_the_formatter_writes(tmp_path: Path, capture: Any) -> None:
    logger, out = capture
    with TracerProvider().get_tracer("test").start_as_current_span("work") as span:
        logger.info("one")
        logger.info("two")
    logger.info("unrelated")
    (tmp_path / "matching.log").write_text("INFO:     Started server process\n" + out.getvalue())
    trace_id = f"{span.get_span_context().trace_id:032x}"
    assert [log.message for log in scan_logs(tmp_path, trace_id)] == ["one", "two"]


def test_span_files_keep_kafka_keys_as_text_and_errors(tmp_path: Path) -> None:
    provider = TracerProvider()
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("organization.registered process") as consumed:
        consumed.set_attribute("messaging.kafka.message.key", b"org_1")
        consumed.set_attribute("messaging.destination_publish.name", "organization.registered")
    with tracer.start_as_current_span("handle") as failed:
        failed.record_exception(ValueError("no such need"))
        failed.set_status(Status(StatusCode.ERROR, "handler failed"))
    exporter = JsonlSpanExporter(tmp_path, "matching")
    exporter.export([consumed, failed])  # type: ignore[list-item]
    first, second = (json.loads(x) for x in (tmp_path / "matching.jsonl").read_text().splitlines())
    assert first["attributes"]["messaging.kafka.message.key"] == "org_1"
    assert "exception" not in first and "status_message" not in first
    assert second["exception"] == "ValueError: no such need"
    assert second["status_message"] == "handler failed"
    assert key_attributes(Span.model_validate(first)) == [("org", "org_1")]
    assert key_attributes(Span.model_validate(second)) == [("error", "ValueError: no such need")]


def test_the_span_file_rotates_at_its_size_and_commonweave_traces_still_reads_both(
    tmp_path: Path,
) -> None:
    provider = TracerProvider()
    tracer = provider.get_tracer("test")
    spans = []
    for n in range(40):
        with tracer.start_as_current_span(f"span {n}") as span:
            span.set_attribute("padding", "x" * 200)
        spans.append(span)
    exporter = JsonlSpanExporter(tmp_path, "matching", max_bytes=4_000, backups=1)
    for span in spans:
        exporter.export([span])  # type: ignore[list-item]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["matching.1.jsonl", "matching.jsonl"]
    assert all(p.stat().st_size <= 4_000 for p in tmp_path.iterdir())
    kept = {span.name for span in load_spans(tmp_path)}
    assert "span 39" in kept and "span 0" not in kept  # the newest kept, the oldest dropped
    assert len(kept) == len(set(kept)) and 10 < len(kept) < 40


@pytest.fixture
def service_logs() -> Iterator[io.StringIO]:
    """The JSON lines of every `matching.*` logger (the broker's is `matching.kafka`)."""
    out = io.StringIO()
    handler = log_handler("matching", "json")
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(out)
    logger = logging.getLogger("matching")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield out
    logger.removeHandler(handler)
    logger.setLevel(logging.NOTSET)


async def test_a_consumers_lines_carry_the_process_spans_ids(service_logs: io.StringIO) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    broker = kafka_broker(Settings(), "matching", provider)
    work = logging.getLogger("matching.handlers")

    @broker.subscriber("ping.sent", group_id="matching")
    async def ping(body: dict[str, Any]) -> None:
        work.info("handling %s", body["n"])
        if body["n"] == 2:
            raise ValueError("no second ping")

    async with TestKafkaBroker(broker) as test_broker:
        # the test broker hands FastStream's own lines to a mock instead of the logger
        faststream_lines = cast(Any, broker.config.logger.logger).logger.log
        await test_broker.publish({"n": 1}, topic="ping.sent")
        with pytest.raises(ValueError, match="no second ping"):
            await test_broker.publish({"n": 2}, topic="ping.sent")

    processes = [s for s in exporter.get_finished_spans() if s.name == "ping.sent process"]
    assert len(processes) == 2
    ids = [(f"{s.context.trace_id:032x}", f"{s.context.span_id:016x}") for s in processes]
    written = lines(service_logs)
    assert [(line["message"], line["level"]) for line in written] == [
        ("Received", "INFO"),
        ("handling 1", "INFO"),
        ("Processed", "INFO"),
        ("Received", "INFO"),
        ("handling 2", "INFO"),
        ("Processed", "INFO"),
    ]
    for line, (trace_id, span_id) in zip(written, [ids[0]] * 3 + [ids[1]] * 3, strict=True):
        assert (line["trace_id"], line["span_id"]) == (trace_id, span_id), line
    assert written[0]["topic"] == "ping.sent"
    # FastStream's copies: "Received"/"Processed" at DEBUG; the failure, logged outside the
    # span, at ERROR with the span's ids in its fields
    calls = [(c.args[0], c.args[1], c.kwargs["extra"]) for c in faststream_lines.call_args_list]
    assert {(level, message) for level, message, _ in calls if message != "Processed"} >= {
        (logging.DEBUG, "Received"),
        (logging.ERROR, "ValueError: no second ping"),
    }
    [failure] = [extra for level, _, extra in calls if level == logging.ERROR]
    assert (failure["trace_id"], failure["span_id"]) == ids[1]
