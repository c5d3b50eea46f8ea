"""Schema hints ("Did you mean 'node'?") only for a caller who may introspect the schema, and
which Accept headers get `application/graphql-response+json`."""

from __future__ import annotations

from typing import Any

import pytest

from services.gateway.media import prefers_graphql_response
from services.gateway.schema import build_schema
from shared.errors import AppError, ErrorCode
from shared.settings import Settings


class Context:
    def __init__(self, token_is_valid: bool) -> None:
        self.token_is_valid = token_is_valid
        self.rate_key = "test"

    async def caller(self) -> object:
        if not self.token_is_valid:
            raise AppError(ErrorCode.UNAUTHENTICATED, "unknown token")
        return object()


async def messages(query: str, context: Any, **overrides: Any) -> list[str]:
    schema = build_schema(Settings(_env_file=None, **overrides))
    result = await schema.execute(query, context_value=context)
    return [e.message for e in result.errors or []]


MISTAKES = [
    "{ nope }",  # a field: "Did you mean 'node'?"
    "{ notificationz { edges { cursor } } }",
    '{ node(idd: "x") { id } }',  # an argument
    "query($f: Int) { notifications(unreadOnli: true) { edges { cursor } } }",
]


@pytest.mark.parametrize("query", MISTAKES)
async def test_anonymous_callers_get_no_suggestions(query: str) -> None:
    anonymous = await messages(query, Context(token_is_valid=False))
    assert anonymous and not any("Did you mean" in m for m in anonymous), anonymous
    # the same document, cached by the validation cache, still hints a trusted caller
    trusted = await messages(query, Context(token_is_valid=True))
    assert any("Did you mean" in m for m in trusted), trusted


async def test_no_suggestions_when_introspection_is_off_even_with_a_token() -> None:
    for overrides in ({"gateway_introspection": False}, {"environment": "production"}):
        found = await messages("{ nope }", Context(token_is_valid=True), **overrides)
        assert found == ["Cannot query field 'nope' on type 'Query'."], found


async def test_enum_values_in_variables_are_not_suggested_either() -> None:
    query = 'mutation($d: MatchDecision!) { respondToMatch(matchId: "m", decision: $d) { id } }'
    schema = build_schema(Settings(_env_file=None))
    found = {}
    for valid in (False, True):
        result = await schema.execute(
            query, variable_values={"d": "ACCEP"}, context_value=Context(token_is_valid=valid)
        )
        found[valid] = " ".join(e.message for e in result.errors or [])
    assert "Did you mean the enum value 'ACCEPT'" in found[True], found
    assert "ACCEP" in found[False] and "Did you mean" not in found[False], found


@pytest.mark.parametrize(
    ("accept", "wanted"),
    [
        (None, False),
        ("", False),
        ("application/json", False),
        ("*/*", False),
        ("application/graphql-response+json", True),
        ("application/graphql-response+json, application/json;q=0.9", True),
        ("application/json, application/graphql-response+json;q=0.5", False),
        ("application/graphql-response+json;q=0", False),
    ],
)
def test_which_accept_headers_get_graphql_response_json(accept: str | None, wanted: bool) -> None:
    assert prefers_graphql_response(accept) is wanted
