"""Fuzzing the gateway with hypothesis-graphql: what every answer to a generated document must
be (a GraphQL response with the contract's error codes and a trace id: no 500, no INTERNAL,
no stack trace). Used by tests/integration/test_gateway_fuzz.py and the fuzz drill."""

from __future__ import annotations

import json
from typing import Any

import httpx
from hypothesis import strategies as st
from hypothesis_graphql import nodes

from services.gateway.schema import build_schema
from shared.errors import ErrorCode

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
