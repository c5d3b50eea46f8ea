"""Fuzzing the gateway with hypothesis-graphql: what every answer to a generated document must
be (a GraphQL response with the contract's error codes and a trace id: no 500, no INTERNAL,
no stack trace), and `generate`, documents made in bulk. Used by
tests/integration/gateway/test_fuzz.py and the fuzz drill."""

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


def generate(mode: str, count: int) -> list[str]:
    """`count` documents of hypothesis-graphql's `mode` ("POSITIVE": valid, "NEGATIVE":
    invalid), generated at once (a module-level function: the fuzz drill runs it in a process
    of its own, beside the one that sends them)."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis.strategies._internal import core
    from hypothesis_graphql import from_schema
    from hypothesis_graphql.strategies import Mode

    # hypothesis-graphql makes an @st.composite strategy for each field's arguments as it
    # draws, and hypothesis reads the source of every one (inspect, then ast) to warn about a
    # composite that never draws: a quarter of the time a valid document takes. None does.
    if hasattr(core, "is_first_param_referenced_in_function"):
        core.is_first_param_referenced_in_function = lambda f: True
    generated: list[str] = []

    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(document=from_schema(SCHEMA, custom_scalars=SCALARS, mode=Mode[mode]))
    def cases(document: str) -> None:
        generated.append(document)

    cases()
    return generated
