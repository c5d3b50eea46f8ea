"""The gateway's operation duration: one measurement per query or mutation, by operation type
and the contract code of its worst error (INTERNAL first), none for a subscription."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import strawberry
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader
from strawberry.extensions import SchemaExtension

from services.gateway.schema.operation_metrics import (
    BUCKETS,
    OPERATION_DURATION,
    OperationMetrics,
    operation_duration,
)
from shared.errors import AppError, ErrorCode


@strawberry.type
class Query:
    @strawberry.field
    def fine(self) -> int:
        return 1

    @strawberry.field
    def missing(self) -> int | None:  # nullable: a sibling's error is reported too
        raise AppError(ErrorCode.NOT_FOUND, "no such thing")

    @strawberry.field
    def broken(self) -> int | None:
        raise RuntimeError("a bug")


@strawberry.type
class Mutation:
    @strawberry.mutation
    def act(self) -> int:
        return 1


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def ticks(self) -> AsyncIterator[int]:
        yield 1


class Refuses(SchemaExtension):
    """An extension that refuses every operation, as the gateway's StackStarting does."""

    def on_execute(self) -> Iterator[None]:
        raise AppError(ErrorCode.UNAVAILABLE, "starting")


@pytest.fixture
def reader() -> InMemoryMetricReader:
    return InMemoryMetricReader()


def schema(reader: InMemoryMetricReader, *extra: Any) -> strawberry.Schema:
    duration = operation_duration(MeterProvider(metric_readers=[reader]).get_meter("test"))
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=[lambda: OperationMetrics(duration), *extra],
    )


def points(reader: InMemoryMetricReader) -> dict[tuple[tuple[str, Any], ...], int]:
    """The count of measurements per attribute set."""
    data = reader.get_metrics_data()
    found: dict[tuple[tuple[str, Any], ...], int] = {}
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name == OPERATION_DURATION:
                    for point in metric.data.data_points:
                        assert isinstance(point, HistogramDataPoint)
                        assert tuple(point.explicit_bounds) == BUCKETS  # seconds, not ms
                        found[tuple(sorted((point.attributes or {}).items()))] = point.count
    return found


async def test_each_operation_is_measured_by_type_and_worst_error(
    reader: InMemoryMetricReader,
) -> None:
    s = schema(reader)
    await s.execute("{ fine }")
    await s.execute("{ fine }")
    await s.execute("mutation { act }")
    await s.execute("{ missing }")
    await s.execute("{ missing broken }")  # NOT_FOUND and INTERNAL: INTERNAL counts
    await s.execute("{ nope }")  # invalid: BAD_USER_INPUT
    await s.execute("{ fine")  # does not parse
    assert points(reader) == {
        (("graphql.operation.type", "query"),): 2,
        (("graphql.operation.type", "mutation"),): 1,
        (("error.type", "NOT_FOUND"), ("graphql.operation.type", "query")): 1,
        (("error.type", "INTERNAL"), ("graphql.operation.type", "query")): 1,
        (("error.type", "BAD_USER_INPUT"), ("graphql.operation.type", "query")): 2,
    }


async def test_an_operation_an_extension_refuses_is_measured_with_its_code(
    reader: InMemoryMetricReader,
) -> None:
    result = await schema(reader, Refuses).execute("mutation { act }")
    assert result.errors
    assert points(reader) == {
        (("error.type", "UNAVAILABLE"), ("graphql.operation.type", "mutation")): 1,
    }


async def test_a_subscription_is_not_measured(reader: InMemoryMetricReader) -> None:
    stream = await schema(reader).subscribe("subscription { ticks }")
    assert not isinstance(stream, strawberry.types.ExecutionResult)
    async for result in stream:
        assert result.data == {"ticks": 1}
    assert points(reader) == {}
