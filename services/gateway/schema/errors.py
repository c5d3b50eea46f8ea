"""Maps failures to the contract's errors (`extensions.code`, `extensions.field`) and puts the
trace id on every response. Unexpected exceptions are masked: no stack trace leaves the gateway."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from shared.errors import AppError, ErrorCode
from shared.telemetry import current_trace_id

log = logging.getLogger(__name__)


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
    if original is None:  # a GraphQL validation or syntax error from the query itself
        return {"code": (error.extensions or {}).get("code", ErrorCode.BAD_USER_INPUT.value)}
    log.error("unexpected error in %s", error.path, exc_info=original)
    return {"code": ErrorCode.INTERNAL.value}


class ContractErrors(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        shaped = []
        for error in result.errors:
            ext = _extensions(error)
            message = error.message if ext["code"] != ErrorCode.INTERNAL.value else "internal error"
            shaped.append(GraphQLError(message, nodes=error.nodes, path=error.path, extensions=ext))
        result.errors = shaped

    def get_results(self) -> dict[str, Any]:
        return {"traceId": current_trace_id()}
