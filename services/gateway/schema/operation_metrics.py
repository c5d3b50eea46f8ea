"""`commonweave.gateway.operation.duration`: how long each GraphQL query and mutation took,
from parsing to the last resolver, by `graphql.operation.type` and `error.type` (the
contract's code of its worst error: `INTERNAL` before any other, none when it succeeded).
Its p99 is the latency alert's, its count with `error.type="INTERNAL"` the internal-error
rate's (deploy/monitoring). The gateway answers GraphQL errors with HTTP 200, so the HTTP
server's metrics do not see them.

Subscriptions are left out: their operation lasts as long as the client listens. Operation
names are left out too: the client chooses them, so they would make series without bound."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

from graphql import GraphQLError
from opentelemetry.metrics import Histogram, Meter
from opentelemetry.semconv.attributes.error_attributes import ERROR_TYPE
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from services.gateway.schema.errors import shape_error
from shared.errors import ErrorCode
from shared.metrics import meter

OPERATION_DURATION = "commonweave.gateway.operation.duration"
OPERATION_TYPE = "graphql.operation.type"  # the semantic conventions' name
# The HTTP server duration's buckets (the semantic conventions advise them), in seconds.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)


def operation_duration(meter_: Meter | None = None) -> Histogram:
    return (meter_ or meter()).create_histogram(
        OPERATION_DURATION,
        unit="s",
        description="GraphQL queries and mutations, from parsing to the last resolver.",
        explicit_bucket_boundaries_advisory=BUCKETS,
    )


def worst_code(errors: Sequence[GraphQLError]) -> str | None:
    codes = [shape_error(error).extensions["code"] for error in errors]  # type: ignore[index]
    if ErrorCode.INTERNAL.value in codes:
        return ErrorCode.INTERNAL.value
    return codes[0] if codes else None


class OperationMetrics(SchemaExtension):
    def __init__(self, duration: Histogram) -> None:
        self._duration = duration

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        except Exception as exc:  # raised by an extension: the answer is this one error
            self._record(started, [GraphQLError(str(exc), original_error=exc)])
            raise
        self._record(started, self.execution_context.pre_execution_errors or [])

    def _record(self, started: float, errors: Sequence[GraphQLError]) -> None:
        context = self.execution_context
        try:
            kind = context.operation_type
        except RuntimeError:  # the document did not parse: no operation to name
            kind = OperationType.QUERY
        if kind is OperationType.SUBSCRIPTION:
            return
        attributes = {OPERATION_TYPE: kind.value}
        code = worst_code(errors)
        if code is not None:
            attributes[ERROR_TYPE] = code
        self._duration.record(time.perf_counter() - started, attributes)
