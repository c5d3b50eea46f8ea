"""Limits without I/O: the token bucket, and the schema refusing deep, alias-heavy and
over-long documents with LIMIT_EXCEEDED before any service is called."""

from __future__ import annotations

import time
from typing import Any

import pytest
from graphql import parse

from services.gateway.limits import LoadShedding, RateLimiter, asks_for_introspection
from services.gateway.schema import build_schema
from services.gateway.schema.errors import shape_errors
from shared import deadline
from shared.errors import AppError, ErrorCode
from shared.settings import Settings


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_allows_a_burst_then_refills_at_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=2.0, burst=3, clock=clock)
    assert [limiter.allow("t") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("other")  # buckets are per key
    clock.now = 0.5  # one token back
    assert limiter.allow("t")
    assert not limiter.allow("t")
    clock.now = 100.0  # refills only up to the burst
    assert [limiter.allow("t") for _ in range(4)] == [True, True, True, False]


def settings(**overrides: Any) -> Settings:
    return Settings(_env_file=None, **overrides)


async def codes_of(query: str, context: Any = None, **overrides: Any) -> list[str]:
    result = await build_schema(settings(**overrides)).execute(query, context_value=context)
    return [e.extensions["code"] for e in shape_errors(result.errors) or []]  # type: ignore[index]


ALIAS_BOMB = "{ " + " ".join(f"a{i}: me {{ role }}" for i in range(30)) + " }"
LONG_DOCUMENT = "{ " + " ".join("me { role }" for _ in range(400)) + " }"
DEEP = '{ node(id: "org_x") { ... on Organization { offers { kind } } } }'


@pytest.mark.parametrize(
    ("query", "overrides"),
    [
        (ALIAS_BOMB, {"gateway_max_aliases": 20}),
        (LONG_DOCUMENT, {"gateway_max_tokens": 500}),
        (DEEP, {"gateway_max_depth": 1}),
    ],
)
async def test_deep_alias_heavy_and_long_documents_are_limit_exceeded(
    query: str, overrides: dict[str, Any]
) -> None:
    assert await codes_of(query, **overrides) == ["LIMIT_EXCEEDED"]


async def test_invalid_documents_are_bad_user_input() -> None:
    assert await codes_of("{ me { role ") == ["BAD_USER_INPUT"]
    assert await codes_of("{ noSuchField }") == ["BAD_USER_INPUT"]


class Context:
    """What the introspection check asks of the gateway's context: the resolved caller."""

    def __init__(self, token_is_valid: bool) -> None:
        self.token_is_valid = token_is_valid
        self.rate_key = "test"

    async def caller(self) -> object:
        if not self.token_is_valid:
            raise AppError(ErrorCode.UNAUTHENTICATED, "unknown token")
        return object()


INTROSPECTION = "{ __schema { queryType { name } } }"


async def test_introspection_is_for_authenticated_callers_only() -> None:
    assert await codes_of(INTROSPECTION, Context(token_is_valid=True)) == []
    assert await codes_of(INTROSPECTION, Context(token_is_valid=False)) == ["UNAUTHENTICATED"]
    assert await codes_of(INTROSPECTION) == ["UNAUTHENTICATED"]  # no context, no caller
    hidden_in_a_fragment = '{ ...F } fragment F on Query { __type(name: "Query") { name } }'
    assert await codes_of(hidden_in_a_fragment, Context(token_is_valid=False)) == [
        "UNAUTHENTICATED"
    ]


async def test_introspection_can_be_switched_off_and_is_off_in_production() -> None:
    trusted = Context(token_is_valid=True)
    assert set(await codes_of(INTROSPECTION, trusted, gateway_introspection=False)) == {
        "BAD_USER_INPUT"
    }
    assert set(await codes_of(INTROSPECTION, trusted, environment="production")) == {
        "BAD_USER_INPUT"
    }


@pytest.mark.parametrize(
    ("query", "introspects"),
    [
        ("{ __typename }", False),
        ("{ me { role __typename } }", False),
        (INTROSPECTION, True),
        ('query Q { me { role } } query R { __type(name: "X") { name } }', True),
    ],
)
def test_what_counts_as_introspection(query: str, introspects: bool) -> None:
    assert asks_for_introspection(parse(query)) is introspects


async def test_operations_beyond_the_in_flight_limit_are_refused_at_once() -> None:
    schema = build_schema(settings(gateway_max_in_flight=2))
    extensions = [factory() for factory in schema.extensions]  # type: ignore[operator]
    [shedding] = [e for e in extensions if isinstance(e, LoadShedding)]
    shedding.in_flight.count = 2  # as if two operations were executing now
    began = time.perf_counter()
    result = await schema.execute("{ __typename }")
    assert time.perf_counter() - began < 0.05
    [error] = shape_errors(result.errors) or []
    assert error.extensions == {"code": "UNAVAILABLE", "retryable": True}

    shedding.in_flight.count = 1  # one slot free again: executed, and the slot given back
    assert not (await schema.execute("{ __typename }")).errors
    assert shedding.in_flight.count == 1


def test_a_service_commits_nothing_after_its_callers_deadline() -> None:
    deadline.start(None)
    deadline.check()  # no deadline sent: nothing to enforce
    deadline.start(deadline.budget_ms(5.0))
    deadline.check()  # 4.5 s left
    deadline.start("1")
    time.sleep(0.01)
    try:
        with pytest.raises(AppError) as refused:
            deadline.check()
    finally:
        deadline.start(None)  # later tests in this thread's context have no deadline
    assert refused.value.code is ErrorCode.UNAVAILABLE
    assert refused.value.details == {"retryable": True}
    assert deadline.budget_ms(5.0) == "4500" and deadline.budget_ms(0.1) == "100"
