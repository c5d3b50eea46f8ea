"""GraphQL over HTTP: `application/graphql-response+json` with the spec's status codes when the
client asks for it, `application/json` as before otherwise; and no schema hints for a caller
who may not introspect."""

from __future__ import annotations

from typing import Any

import httpx

from deploy.stack import Stack
from services.gateway.media import GRAPHQL_RESPONSE
from tests.support import http

INVALID = "{ nope }"


def post(stack: Stack, query: str, accept: str | None, token: str | None = None) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if accept:
        headers["accept"] = accept
    if token:
        headers["authorization"] = f"Bearer {token}"
    return http.post(stack.graphql_url, json={"query": query}, headers=headers, timeout=30)


def body(response: httpx.Response) -> dict[str, Any]:
    parsed: dict[str, Any] = response.json()
    return parsed


def test_a_validation_error_is_400_graphql_response_json_without_data(stack: Stack) -> None:
    response = post(stack, INVALID, f"{GRAPHQL_RESPONSE}, application/json;q=0.9")
    assert response.status_code == 400
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    answer = body(response)
    assert "data" not in answer
    assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert answer["extensions"]["traceId"]


def test_application_json_keeps_200_with_data_null(stack: Stack) -> None:
    for accept in (None, "application/json", f"application/json, {GRAPHQL_RESPONSE};q=0.5"):
        response = post(stack, INVALID, accept)
        assert response.status_code == 200, accept
        assert response.headers["content-type"] == "application/json", accept
        assert body(response)["data"] is None


def test_an_operation_that_ran_is_200_even_with_errors(stack: Stack) -> None:
    response = post(stack, "{ me { role } }", GRAPHQL_RESPONSE)  # no token: a field error
    assert response.status_code == 200
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    answer = body(response)
    assert "data" in answer
    assert answer["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_field_suggestions_only_for_a_caller_who_may_introspect(
    stack: Stack, network: dict[str, str]
) -> None:
    anonymous = body(post(stack, INVALID, None))["errors"][0]["message"]
    assert anonymous == "Cannot query field 'nope' on type 'Query'."
    trusted = post(stack, INVALID, None, token=network["operatorToken"])
    assert "Did you mean 'node'?" in body(trusted)["errors"][0]["message"]
