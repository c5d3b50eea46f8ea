"""A fuzz pass over the whole schema with hypothesis-graphql: valid and invalid documents,
sent over HTTP by an authenticated caller. Every answer is a GraphQL response with the
contract's error codes and a trace id: no 500, no INTERNAL, no stack trace
(tests/support/fuzz.py; `make drills` runs thousands more)."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis_graphql import from_schema
from hypothesis_graphql.strategies import Mode

from tests.support.fuzz import SCALARS, SCHEMA, check
from tests.support.stack import Client


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
