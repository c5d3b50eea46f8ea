"""Deadlines across the internal HTTP hop, so that "told it failed" means "not written".

The gateway tells a service how long its caller will still wait (`Request-Timeout-Ms`,
relative, so clocks need not agree), less a margin for the answer's way back. The service
keeps that as a deadline for the request, and `shared.mongo.transaction` refuses to commit
once it has passed: the transaction aborts and the answer is UNAVAILABLE, retryable."""

from __future__ import annotations

import time
from contextvars import ContextVar

from shared.errors import AppError, ErrorCode

DEADLINE_HEADER = "Request-Timeout-Ms"
# what the gateway keeps back from its own timeout for the answer to travel
ANSWER_MARGIN_SECONDS = 0.5

_deadline: ContextVar[float | None] = ContextVar("deadline", default=None)


def budget_ms(timeout_seconds: float) -> str:
    """The header value a caller with `timeout_seconds` sends."""
    return str(max(100, int((timeout_seconds - ANSWER_MARGIN_SECONDS) * 1000)))


def start(header: str | None) -> None:
    """Called per request by the service: the deadline the caller sent, if any."""
    try:
        _deadline.set(time.monotonic() + int(header) / 1000 if header else None)
    except ValueError:
        _deadline.set(None)


def check() -> None:
    """Raises when the caller has stopped waiting: nothing after this point may commit."""
    deadline = _deadline.get()
    if deadline is not None and time.monotonic() > deadline:
        raise AppError(
            ErrorCode.UNAVAILABLE,
            "the request ran out of time before its write committed; nothing was written: "
            "retry with the same Idempotency-Key",
            details={"retryable": True},
        )
