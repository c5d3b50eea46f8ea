"""The GraphQL operation's name and type land on the span of the request that carried it
(`graphql.operation.name`, `graphql.operation.type`), read from the SDK's in-memory exporter."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from services.gateway.schema import build_schema
from shared.settings import Settings

SCHEMA = build_schema(Settings(_env_file=None))


async def span_of(query: str, operation_name: str | None = None) -> dict[str, Any]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with provider.get_tracer("test").start_as_current_span("POST /graphql"):
        await SCHEMA.execute(query, operation_name=operation_name)
    [span] = exporter.get_finished_spans()
    return dict(span.attributes or {})


@pytest.mark.parametrize(
    ("query", "chosen", "name", "kind"),
    [
        ("query Typename { __typename }", None, "Typename", "query"),
        ("{ __typename }", None, None, "query"),  # anonymous: no name, still a type
        (
            "query A { __typename } mutation B { __typename }",
            "B",
            "B",
            "mutation",
        ),
    ],
)
async def test_the_span_names_the_operation_and_its_type(
    query: str, chosen: str | None, name: str | None, kind: str
) -> None:
    attributes = await span_of(query, chosen)
    assert attributes.get("graphql.operation.name") == name
    assert attributes["graphql.operation.type"] == kind


async def test_a_document_that_does_not_parse_keeps_the_name_the_client_gave() -> None:
    attributes = await span_of("query Broken {", "Broken")
    assert attributes["graphql.operation.name"] == "Broken"
    assert "graphql.operation.type" not in attributes
