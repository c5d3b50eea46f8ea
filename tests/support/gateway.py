"""A gateway started alone, in this process, on a free port: for what needs no other
service (the GraphiQL page, the answers given while the stack is starting, the rate limit
its replicas share)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from services.gateway.app import create_app
from shared.service import SERVER_OPTIONS
from shared.settings import Settings
from tests.support.stack import free_port


def lone_settings(data_dir: Path, **overrides: object) -> Settings:
    return Settings(
        telemetry_exporter="off",
        data_dir=data_dir,
        _env_file=None,  # type: ignore[call-arg]
        **overrides,  # type: ignore[arg-type]
    )


@contextmanager
def lone_gateway(
    settings: Settings, *, services_ready: bool = False, lifespan: bool = False
) -> Iterator[str]:
    """The gateway's base URL. Without `lifespan`: no event feed (Kafka), and no readiness
    watch: the gateway stays "starting" unless `services_ready` marks the services ready, as
    the watch would once they answer. With it, a replica beside a running stack's."""
    app = create_app(settings)
    app.state.clients.ready = services_ready
    with served(app, free_port(), lifespan=lifespan) as url:
        yield url


@contextmanager
def served(app: Any, port: int, *, lifespan: bool = False) -> Iterator[str]:
    """`app` (ASGI) over real HTTP on 127.0.0.1:`port`, in a thread of this process."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        lifespan="on" if lifespan else "off",
        log_level="warning",
        **SERVER_OPTIONS,  # as the services serve (shared/service.py)
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
