"""A gateway started alone, in this process, on a free port: for what needs no other
service (the GraphiQL page, the answers given while the stack is starting)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from services.gateway.app import create_app
from shared.settings import Settings
from tests.support.stack import free_port


@contextmanager
def lone_gateway(data_dir: Path) -> Iterator[str]:
    """The gateway's URL. No lifespan: no event feed (Kafka), and the services are never
    found ready, so the gateway stays "starting"."""
    settings = Settings(
        telemetry_exporter="off",
        data_dir=data_dir,
        _env_file=None,  # type: ignore[call-arg]
    )
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=free_port(),
        lifespan="off",
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the gateway did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(10)
