"""Each request a service serves starts in a context of its own (shared/service.py,
SERVER_OPTIONS), even one pipelined behind another on the same connection: uvicorn starts that
one from inside the previous request's task, whose context vars (OpenTelemetry's current span
among them) it would otherwise inherit."""

from __future__ import annotations

import asyncio
import socket
from contextvars import ContextVar
from typing import Any

from tests.support.gateway import served
from tests.support.stack import free_port

last_path: ContextVar[str | None] = ContextVar("last_path", default=None)


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answers with the path the context already held, then sets its own."""
    assert scope["type"] == "http"
    inherited = last_path.get() or "nothing"
    last_path.set(scope["path"])
    if scope["path"] == "/slow":
        await asyncio.sleep(0.3)  # the next request arrives while this one is answered
    body = inherited.encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def test_a_pipelined_request_inherits_nothing_from_the_one_before_it() -> None:
    with served(app, free_port()) as url:
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
            connection.sendall(
                b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n"
                b"GET /next HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
            )
            received = b""
            while chunk := connection.recv(65536):
                received += chunk
    answers = [part.split(b"\r\n\r\n", 1)[1][:7] for part in received.split(b"HTTP/1.1 ")[1:]]
    assert answers == [b"nothing", b"nothing"], received
