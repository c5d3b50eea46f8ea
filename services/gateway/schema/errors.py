"""Maps every failure to the contract's errors (`extensions.code`, `extensions.field`) and puts
the trace id on every response. Parse and validation errors of the query itself are
`BAD_USER_INPUT` (limits: `LIMIT_EXCEEDED`); unexpected exceptions are masked as `INTERNAL`
with a fixed message: no stack trace leaves the gateway.

Shaping is idempotent: it runs per streamed result (subscriptions) and once more on every HTTP
response (`services.gateway.app`), which also covers errors raised by extensions."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from services.gateway.limits import is_limit_message
from shared.errors import AppError, ErrorCode
from shared.telemetry import current_trace_id

log = logging.getLogger(__name__)
INTERNAL_MESSAGE = "internal error"
CODES = {code.value for code in ErrorCode}


def graphql_field(path: str) -> str:
    """Services name input paths in snake_case (`input.time_zone`); clients sent camelCase."""
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), path)


def _extensions(error: GraphQLError) -> dict[str, Any]:
    original = error.original_error
    if isinstance(original, AppError):
        ext: dict[str, Any] = {"code": original.code.value}
        if original.field:
            ext["field"] = graphql_field(original.field)
        ext.update(original.details)
        return ext
    if original is None or isinstance(original, GraphQLError):
        known = (error.extensions or {}).get("code")
        if known in CODES:  # already shaped
            return dict(error.extensions or {})
        if is_limit_message(error.message):
            return {"code": ErrorCode.LIMIT_EXCEEDED.value}
        return {"code": ErrorCode.BAD_USER_INPUT.value}
    return {"code": ErrorCode.INTERNAL.value}


def shape_error(error: GraphQLError) -> GraphQLError:
    ext = _extensions(error)
    message = INTERNAL_MESSAGE if ext["code"] == ErrorCode.INTERNAL.value else error.message
    return GraphQLError(message, nodes=error.nodes, path=error.path, extensions=ext)


def shape_errors(errors: Sequence[GraphQLError] | None) -> list[GraphQLError] | None:
    return [shape_error(e) for e in errors] if errors else errors  # type: ignore[return-value]


def is_unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, AppError | GraphQLError)


def log_unexpected(errors: Sequence[GraphQLError], _: ExecutionContext | None = None) -> None:
    """The server log gets the stack traces the client never sees; expected errors
    (AppError, invalid queries) are not logged as failures."""
    for error in errors:
        if is_unexpected(error):
            log.error("unexpected error at %s", error.path, exc_info=error.original_error)


class ContractErrors(SchemaExtension):
    def on_stream_result(self, result: Any) -> Iterator[None]:
        if getattr(result, "errors", None):
            result.errors = shape_errors(result.errors)
        yield

    def get_results(self) -> dict[str, Any]:
        return {"traceId": current_trace_id()}
