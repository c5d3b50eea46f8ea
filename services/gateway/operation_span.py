"""The GraphQL operation on the request's span: every GraphQL request is `POST /graphql` to
HTTP, so without these an operator cannot tell a `registerOrganization` from a dashboard query.
The names are the semantic conventions' (`graphql.operation.name`, `graphql.operation.type`);
the document itself is left off (it may hold people's data)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress

from opentelemetry import trace
from strawberry.extensions import SchemaExtension

OPERATION_NAME = "graphql.operation.name"
OPERATION_TYPE = "graphql.operation.type"


class OperationSpan(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        # the name a client gave: known even when the document does not parse
        if name := self.execution_context.operation_name:
            trace.get_current_span().set_attribute(OPERATION_NAME, name)
        yield

    def on_execute(self) -> Iterator[None]:
        # parsed and valid by now, so the operation (and its name, if only the document has
        # it) is known
        span = trace.get_current_span()
        context = self.execution_context
        with suppress(RuntimeError):  # no operation of that name in the document
            span.set_attribute(OPERATION_TYPE, context.operation_type.value)
        if name := context.operation_name:
            span.set_attribute(OPERATION_NAME, name)
        yield
