"""Limits without I/O: the token bucket, and the schema refusing deep, alias-heavy and
over-long documents with LIMIT_EXCEEDED before any service is called."""

from __future__ import annotations

from typing import Any

import pytest

from services.gateway.limits import RateLimiter
from services.gateway.schema import build_schema
from services.gateway.schema.errors import shape_errors
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


async def codes_of(query: str, **overrides: Any) -> list[str]:
    result = await build_schema(settings(**overrides)).execute(query)
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


async def test_introspection_can_be_switched_off() -> None:
    query = "{ __schema { queryType { name } } }"
    assert await codes_of(query) == []
    assert set(await codes_of(query, gateway_introspection=False)) == {"BAD_USER_INPUT"}
