"""Limits without a stack: the rate limit's moving window (in memory; two gateway replicas
sharing it in MongoDB: tests/integration/gateway/test_replicas.py), and the schema refusing
deep, alias-heavy and over-long documents with LIMIT_EXCEEDED before any service is called."""

from __future__ import annotations

import asyncio
import contextvars
import time
from typing import Any

import httpx
import pytest
from graphql import parse
from limits.storage import MemoryStorage, MongoDBStorage
from starlette.types import Receive, Scope, Send

from services.gateway.admission import Admission, InFlight
from services.gateway.limits import (
    STORE_RETRY_SECONDS,
    SharedRateLimiter,
    asks_for_introspection,
)
from services.gateway.schema import build_schema
from services.gateway.schema.errors import shape_errors
from shared import deadline
from shared.errors import AppError, ErrorCode
from shared.settings import Settings
from tests.support.stack import free_port


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_a_burst_then_the_rate_per_window() -> None:
    limiter = SharedRateLimiter(rate=3.0, burst=3, storage=MemoryStorage())  # 3 in any 1 s
    assert [await limiter.allow("t") for _ in range(4)] == [True, True, True, False]
    assert await limiter.allow("other")  # counted per key
    await asyncio.sleep(1.1)  # the window has moved on
    assert [await limiter.allow("t") for _ in range(4)] == [True, True, True, False]


def test_the_window_holds_the_burst_and_averages_the_rate() -> None:
    item = SharedRateLimiter(rate=50.0, burst=200, storage=MemoryStorage()).item
    assert (item.amount, item.get_expiry()) == (200, 4)  # 200 at once, 50/s sustained
    item = SharedRateLimiter(rate=1.0, burst=20, storage=MemoryStorage()).item
    assert (item.amount, item.get_expiry()) == (20, 20)
    item = SharedRateLimiter(rate=2.0, burst=3, storage=MemoryStorage()).item
    assert (item.amount, item.get_expiry()) == (4, 2)  # windows are whole seconds
    item = SharedRateLimiter(rate=1000.0, burst=200, storage=MemoryStorage()).item
    assert (item.amount, item.get_expiry()) == (1000, 1)  # the rate holds above the burst


async def test_a_limit_of_a_million_is_none() -> None:
    limiter = SharedRateLimiter(rate=1e9, burst=1_000_000_000, storage=MemoryStorage())
    assert limiter.unlimited and await limiter.allow("bench")


async def test_the_store_never_sees_a_token() -> None:
    storage = MemoryStorage()
    limiter = SharedRateLimiter(rate=1.0, burst=5, storage=storage)
    await limiter.allow("token:secret-bearer")
    stored = " ".join(map(str, storage.events))
    assert stored and "secret-bearer" not in stored


async def test_an_unreachable_store_lets_operations_through_without_waiting_on_it() -> None:
    nowhere = MongoDBStorage(
        f"mongodb://127.0.0.1:{free_port()}", timeoutMS=200, serverSelectionTimeoutMS=200
    )
    clock = Clock()
    limiter = SharedRateLimiter(rate=1.0, burst=1, storage=nowhere, clock=clock)
    try:
        assert await limiter.allow("t")  # waited for the store, then let through
        began = time.perf_counter()
        assert [await limiter.allow("t") for _ in range(5)] == [True] * 5
        assert time.perf_counter() - began < 0.2  # under one ask's timeout: not asked again
        clock.now = STORE_RETRY_SECONDS + 1
        assert await limiter.allow("t")  # asked again, still unreachable: let through
    finally:
        nowhere.storage.close()


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


async def test_requests_beyond_the_in_flight_limit_are_refused_before_they_are_read() -> None:
    served: list[bytes] = []

    async def graphql(scope: Scope, receive: Receive, send: Send) -> None:
        served.append((await receive())["body"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    in_flight = InFlight(ceiling=2)
    app = Admission(graphql, in_flight)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        in_flight.count = 2  # as if two requests were being served now
        refused = await client.post("/graphql", json={"query": "{ __typename }"})
        assert refused.json()["errors"][0]["extensions"] == {
            "code": "UNAVAILABLE",
            "retryable": True,
        }
        assert refused.headers["retry-after"] == "1"
        assert served == []  # refused before its body was read
        assert (await client.get("/graphql")).status_code == 200  # GraphiQL is not counted

        in_flight.count = 1  # one slot free again: served, and the slot given back
        assert (await client.post("/graphql", json={"query": "{ a }"})).json() == {}
        assert in_flight.count == 1
        assert len(served) == 2


def test_slow_operations_shrink_the_admitted_number_and_quick_ones_grow_it_back() -> None:
    in_flight = InFlight(ceiling=20, target_seconds=1.0)
    for _ in range(30):  # the stack behind is saturated: each operation takes 3 s
        assert in_flight.admit()
        in_flight.done(3.0)
    assert in_flight.limit < 2  # 20 * 0.9**30 is 0.85, floored at 1
    assert in_flight.admit()  # one is always let through, to learn when it is over
    assert not in_flight.admit()
    in_flight.done(0.05)
    for _ in range(200):  # quick again
        assert in_flight.admit()
        in_flight.done(0.05)
    assert in_flight.limit > 15
    assert in_flight.limit <= 20


def test_slow_answers_to_an_uncrowded_gateway_keep_the_limit() -> None:
    """Background work (a replay) slows every answer: with few in flight the slowness is not
    the gateway's queue, and refusing callers would not speed it up."""
    in_flight = InFlight(ceiling=64, target_seconds=1.0, floor=8)
    for _ in range(100):  # 16 callers, one after another, each answer 2 s
        assert in_flight.admit()
        assert not in_flight.crowded()
        in_flight.done(2.0, crowded=False)
    assert in_flight.limit == 64


def test_the_limit_keeps_a_floor_for_the_front_door() -> None:
    in_flight = InFlight(ceiling=64, target_seconds=1.0, floor=8)
    for _ in range(100):  # crowded and slow: shrinks, but not below the floor
        in_flight.count = 60
        in_flight.done(3.0, crowded=True)
    assert in_flight.limit == 8
    in_flight.count = 0
    assert all(in_flight.admit() for _ in range(8))
    assert not in_flight.admit()


def test_a_service_commits_nothing_after_its_callers_deadline() -> None:
    # In a context of its own: the expired deadline set below must not outlive the test (the
    # session's event loop would hand it to every later async test, which could commit nothing).
    contextvars.copy_context().run(deadlines_are_enforced)


def deadlines_are_enforced() -> None:
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
        # the deadline lives in this thread's context: later tests (and the tasks they start)
        # would inherit it and refuse every write
        deadline.start(None)
    assert refused.value.code is ErrorCode.UNAVAILABLE
    assert refused.value.details == {"retryable": True}
    assert deadline.budget_ms(5.0) == "4500" and deadline.budget_ms(0.1) == "100"


async def test_a_document_asked_again_is_validated_once() -> None:
    """Depth and alias rules built once, so the validation cache hits (strawberry's cache,
    read through its module: the cache is what the gateway relies on)."""
    from strawberry.extensions import validation_cache

    from services.gateway.schema import QUERY_CACHE_SIZE

    schema = build_schema(settings())
    cache = validation_cache._get_validate_cache(QUERY_CACHE_SIZE)
    query = "{ __typename me { role } }"
    await schema.execute(query)
    before = cache.cache_info()
    for _ in range(3):
        await schema.execute(query)
    after = cache.cache_info()
    assert (after.hits - before.hits, after.misses - before.misses) == (3, 0)
