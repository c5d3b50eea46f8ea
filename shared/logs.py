"""Structured logs: one JSON object per line, with the ids of the span that was current when the
record was made, so `commonweave traces <id>` shows a trace's log lines beside its spans.

    {"time": "2026-12-02T01:52:21.123456+00:00", "level": "WARNING", "service": "intake",
     "logger": "services.intake.service.surveys", "message": "...", "trace_id": "4bf9...",
     "span_id": "00f0..."}

`trace_id` and `span_id` are absent outside a span; `exception` holds a traceback. Fields given
with `extra=` (FastStream adds `topic`, `group_id`, `message_id`) come along when they are plain
values. `COMMONWEAVE_LOG_FORMAT=text` keeps the one-line human format instead."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace

from shared.settings import Settings

# What every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
_PLAIN = (str, int, float, bool, type(None))


def span_ids() -> tuple[str, str] | None:
    """The current span's (trace id, span id) in hex, or None outside a span."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return f"{context.trace_id:032x}", f"{context.span_id:016x}"


class SpanIdsFilter(logging.Filter):
    """Stamps each record with the current span's ids where it is made (a handler's filters
    run in the logging call's own context, so the span is the caller's)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "trace_id") and (ids := span_ids()):
            record.trace_id, record.span_id = ids
        return True


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="microseconds"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in line and isinstance(value, _PLAIN):
                line[key] = value
        if "trace_id" not in line and (ids := span_ids()):
            line["trace_id"], line["span_id"] = ids
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def log_handler(service: str, log_format: str | None = None) -> logging.Handler:
    """A stderr handler for the root logger. JSON (the default) has its formatter; text has
    none, so `logging.basicConfig(format=...)` gives it the human format."""
    handler = logging.StreamHandler()
    handler.addFilter(SpanIdsFilter())
    if (log_format or Settings().log_format) == "json":
        handler.setFormatter(JsonFormatter(service))
    return handler


def stamp_span_ids(fields: dict[str, Any]) -> None:
    """Puts the current span's `trace_id` and `span_id` into `fields`, the `extra=` of log
    calls made later outside the span (FastStream logs a message's failure from a middleware
    around the one that holds its process span, with this dict)."""
    if ids := span_ids():
        fields["trace_id"], fields["span_id"] = ids


class Repeats(logging.Filter):
    """Rate-limits a failure that repeats (a loop retrying every fraction of a second while the
    store or the broker is away): the first is logged at once, then the same message (the same
    template from the same logger) at most once per interval, the interval doubling up to
    `longest`, each with how many happened since ("failed 240 times in the last 60 s"). After
    `longest` without one it is logged at once again. Only records marked by `log_repeated`
    are limited; installed on their logger by it."""

    def __init__(self, first: float = 1.0, longest: float = 60.0) -> None:
        super().__init__()
        self.first, self.longest = first, longest
        # template -> [next time it may be logged, interval, count since last logged, since]
        self._seen: dict[str, list[float]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "repeating", False):
            return True
        now, key = record.created, str(record.msg)
        seen = self._seen.get(key)
        if seen is None or now - seen[0] > self.longest:  # new, or quiet for long: log it
            self._seen[key] = [now + self.first, self.first, 0, now]
            return True
        seen[2] += 1
        if now < seen[0]:
            return False
        count, since = int(seen[2]), now - seen[3]
        seen[1] = min(seen[1] * 2, self.longest)
        self._seen[key] = [now + seen[1], seen[1], 0, now]
        record.repeats = count
        record.msg = f"{record.msg} (failed {count} times in the last {since:.0f} s)"
        return True


def log_repeated(logger: logging.Logger, message: str, *args: object) -> None:
    """`logger.exception(message, *args)` for a failure in a loop that retries: rate-limited
    with exponential backoff and a count (`Repeats`), the traceback kept on what is logged."""
    if not any(isinstance(f, Repeats) for f in logger.filters):
        logger.addFilter(Repeats())
    logger.error(message, *args, exc_info=True, extra={"repeating": True}, stacklevel=2)
