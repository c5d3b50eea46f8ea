"""The consumers' "Received" and "Processed" lines, written inside the message's process span
so they carry its `trace_id` and `span_id` like every other line of the work.

FastStream writes these lines itself, from a middleware that runs around the broker's own:
"Received" before the telemetry middleware has opened the process span, "Processed" after it
closed it, so neither had the ids. The broker (`shared.broker`) demotes FastStream's copies to
DEBUG and puts this middleware inside the telemetry one, where the span is current. It also
stamps the ids into the message's log fields, so a failure FastStream logs on the way out
(outside the span, at ERROR) names the trace too."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from faststream import BaseMiddleware, ContextRepo
from faststream.message import StreamMessage

from shared.logs import stamp_span_ids

AsyncFunc = Callable[[Any], Awaitable[Any]]  # the rest of the chain (FastStream's `AsyncFuncAny`)


class MessageLog:
    """The middleware factory the broker takes (one middleware per message)."""

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger

    def __call__(self, msg: Any, /, *, context: ContextRepo) -> _MessageLog:
        return _MessageLog(msg, context=context, logger=self.logger)


class _MessageLog(BaseMiddleware):
    def __init__(self, msg: Any, /, *, context: ContextRepo, logger: logging.Logger) -> None:
        super().__init__(msg, context=context)
        self.logger = logger

    async def consume_scope(self, call_next: AsyncFunc, msg: StreamMessage[Any]) -> Any:
        fields: dict[str, Any] = self.context.get_local("log_context", {})
        stamp_span_ids(fields)
        if isinstance(msg.raw_message, tuple):  # a batch: the consumer writes each event's
            return await call_next(msg)  # lines, inside its span (shared/consumer_batch.py)
        self.logger.info("Received", extra=fields)
        try:
            return await call_next(msg)
        finally:
            self.logger.info("Processed", extra=fields)
