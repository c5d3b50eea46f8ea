"""A fuzz pass over the whole schema with hypothesis-graphql: valid and invalid documents,
sent over HTTP by an authenticated caller. Every answer is a GraphQL response with the
contract's error codes and a trace id: no 500, no INTERNAL, no stack trace."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import from_schema, nodes
from hypothesis_graphql.strategies import Mode

from services.gateway.schema import build_schema
from shared.errors import ErrorCode
from tests.support.stack import Client

SCHEMA = build_schema()._schema
SCALARS = {
    "DateTime": st.datetimes(timezones=st.just(__import__("datetime").UTC)).map(
        lambda d: nodes.String(d.isoformat())
    ),
    "JSON": st.just(nodes.Object([])),
}
CODES = {code.value for code in ErrorCode} - {ErrorCode.INTERNAL.value}


def check(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    text = response.text
    for leak in ("Traceback", 'File "', "site-packages"):
        assert leak not in text, text
    body: dict[str, Any] = response.json()
    assert body["extensions"]["traceId"], body
    for error in body.get("errors") or []:
        assert error["extensions"]["code"] in CODES, json.dumps(error)


@pytest.mark.parametrize("mode", [Mode.POSITIVE, Mode.NEGATIVE])
def test_fuzzed_documents_get_contract_errors_only(operator: Client, mode: Mode) -> None:
    headers = {"authorization": f"Bearer {operator.token}"}
    with httpx.Client(timeout=30) as http:

        @settings(
            max_examples=60,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        )
        @given(document=from_schema(SCHEMA, custom_scalars=SCALARS, mode=mode))
        def fuzz(document: str) -> None:
            check(http.post(operator.url, json={"query": document}, headers=headers))

        fuzz()
