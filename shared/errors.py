"""The one error model: codes of the public contract (API.md), used by every service."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    BAD_USER_INPUT = "BAD_USER_INPUT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    UNAVAILABLE = "UNAVAILABLE"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
    INTERNAL = "INTERNAL"


HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.BAD_USER_INPUT: 400,
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.CONFLICT: 409,
    ErrorCode.LIMIT_EXCEEDED: 429,
    ErrorCode.UNAVAILABLE: 503,
    ErrorCode.INTERNAL: 500,
}


class AppError(Exception):
    """A failure the caller can act on; `field` is the input path (`input.offers[2].quantity`)."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        field: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.details = details or {}

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.code]

    def to_body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code.value, "message": self.message}
        if self.field is not None:
            error["field"] = self.field
        if self.details:
            error["details"] = self.details
        return {"error": error}

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> AppError:
        error = body.get("error", {})
        try:
            code = ErrorCode(error.get("code", "INTERNAL"))
        except ValueError:
            code = ErrorCode.INTERNAL
        return cls(
            code,
            str(error.get("message", "unexpected error")),
            field=error.get("field"),
            details=error.get("details"),
        )


def retry_later(message: str) -> AppError:
    """UNAVAILABLE, `retryable: true`: for a failure that left nothing written, so the same
    call (with the same Idempotency-Key) is safe to send again."""
    return AppError(ErrorCode.UNAVAILABLE, message, details={"retryable": True})


STORE_UNAVAILABLE = "the document store did not take this call and nothing was written; retry"


def bad_input(field: str, message: str) -> AppError:
    return AppError(ErrorCode.BAD_USER_INPUT, message, field=field)


def not_found(what: str, ident: str) -> AppError:
    return AppError(ErrorCode.NOT_FOUND, f"{what} {ident} not found")


def field_path(loc: tuple[str | int, ...] | list[str | int], root: str = "") -> str:
    """Turn a pydantic error location into an input path: ("offers", 2, "quantity") ->
    "offers[2].quantity"."""
    path = root
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path
