"""No schema hints for callers who may not see the schema: graphql-core's messages suggest
names ("Cannot query field 'nope' on type 'Query'. Did you mean 'node'?"), which lets anyone
map the schema field by field with introspection off. The hints stay only for a caller who
may introspect (introspection on, and a valid bearer token: `AuthenticatedIntrospection`).
Strawberry's `StrawberryConfig(disable_field_suggestions=True)` removes them for everyone
and only for fields; this covers arguments, types, enum values and input fields too."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from shared.errors import AppError

SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def without_suggestion(error: GraphQLError) -> GraphQLError:
    """A copy without the hint: validation errors are shared by the validation cache."""
    if "Did you mean" not in error.message:
        return error
    return GraphQLError(
        SUGGESTION.sub("", error.message),
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error,
        extensions=error.extensions,
    )


class HiddenSuggestions(SchemaExtension):
    def __init__(self, introspection: bool) -> None:
        super().__init__()
        self._introspection = introspection

    async def _may_introspect(self) -> bool:
        if not self._introspection:
            return False
        caller = getattr(self.execution_context.context, "caller", None)
        if caller is None:
            return False
        try:
            await caller()
        except AppError:  # no valid token, or intake unreachable: no hints
            return False
        return True

    async def _hide(self, errors: list[GraphQLError] | None) -> list[GraphQLError] | None:
        if not errors or not any("Did you mean" in e.message for e in errors):
            return errors
        if await self._may_introspect():
            return errors
        return [without_suggestion(e) for e in errors]

    async def _hide_in_result(self) -> None:
        result: Any = self.execution_context.result
        errors = getattr(result, "errors", None)  # a subscription's result is a stream
        if errors:
            result.errors = await self._hide(list(errors))

    async def on_operation(self) -> AsyncIterator[None]:
        yield
        # a document that failed validation: its result is answered by now, not yet sent
        await self._hide_in_result()

    async def on_execute(self) -> AsyncIterator[None]:
        yield
        # variables are coerced during execution ("Did you mean the enum value ...?")
        await self._hide_in_result()
