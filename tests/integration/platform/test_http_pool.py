"""The gateway's client to the services recovers by itself after cancelled requests
(encode/httpcore#1093): hundreds of in-flight calls on a small pool are cancelled, at once and
through `wait_for` deadlines, and then calls still succeed promptly.

The server is a real one (uvicorn in a thread on a free port) with an endpoint that sleeps, so
cancellations land while requests wait for a pool slot, connect, or read a response."""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from shared.errors import AppError
from shared.http import ServiceClient

POOL = 10
CALLS = 300


class Ok(BaseModel):
    ok: bool


class Slept(BaseModel):
    slept: bool


async def _sleep(request: Request) -> JSONResponse:
    await asyncio.sleep(float(request.query_params.get("s", "0.05")))
    return JSONResponse({"slept": True})


async def _ok(_: Request) -> JSONResponse:
    return JSONResponse({"ok": True})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    app = Starlette(routes=[Route("/sleep", _sleep), Route("/ok", _ok)])
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(5)


def _client(url: str) -> ServiceClient:
    # A short timeout so a leaked pool shows as UNAVAILABLE within the test, not a hang.
    return ServiceClient("test", url, "token", timeout=2.0, max_connections=POOL)


def _assert_no_slot_leaked(client: ServiceClient) -> None:
    """Once every call has ended, each connection of the pool is idle or closed and no request
    waits: the leak left connections never connected, never idle, never closed, each holding
    a slot for good. (Not a timing: on a busy machine the calls may take any time.)"""
    pool = client._http._transport._pool  # type: ignore[attr-defined]
    assert not pool._requests
    stuck = [c for c in pool._connections if not (c.is_idle() or c.is_closed())]
    assert not stuck, f"{len(stuck)} of {POOL} slots held by no request: {pool!r}"


async def _still_serves(client: ServiceClient) -> None:
    """Forty calls, twenty at a time, on a pool of ten, within the client's timeout."""
    try:
        results = await asyncio.wait_for(
            asyncio.gather(*(client.get("/ok", Ok) for _ in range(40))), timeout=5
        )
    except (TimeoutError, AppError) as exc:
        pytest.fail(f"the pool did not recover: {exc!r}, {client._http._transport!r}")
    assert results == [Ok(ok=True)] * 40


async def _cancel_in_flight_then_waiting(client: ServiceClient) -> None:
    """A wave of 100 calls on a pool of ten: ten hold a connection (the server sleeps), ninety
    wait for one. The callers go away: first the ten in flight, then, a loop turn or two
    later, the ninety waiting (as when a gateway's clients disconnect one after another)."""
    tasks = [asyncio.create_task(client.get("/sleep", Slept, {"s": 5})) for _ in range(100)]
    await asyncio.sleep(0.2)
    for task in tasks[:POOL]:
        task.cancel()
    for _ in range(random.randint(1, 3)):
        await asyncio.sleep(0)
    for task in tasks[POOL:]:
        task.cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, asyncio.CancelledError) for r in results)


async def test_calls_succeed_after_hundreds_of_cancelled_calls(server_url: str) -> None:
    client = _client(server_url)
    try:
        await _still_serves(client)
        for _ in range(CALLS // 100):
            await _cancel_in_flight_then_waiting(client)
        await _still_serves(client)
        _assert_no_slot_leaked(client)
    finally:
        await client.aclose()


async def test_calls_succeed_after_hundreds_of_deadlines(server_url: str) -> None:
    """What a gateway under overload does: every call has a deadline, most shorter than the
    wait, all at once and at random moments."""
    client = _client(server_url)

    async def with_deadline() -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                client.get("/sleep", Slept, {"s": random.uniform(0.0, 0.05)}),
                timeout=random.uniform(0.001, 0.1),
            )

    try:
        await asyncio.gather(*(with_deadline() for _ in range(CALLS)))
        await _still_serves(client)
        _assert_no_slot_leaked(client)
    finally:
        await client.aclose()
