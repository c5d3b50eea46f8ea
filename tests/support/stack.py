"""Starting the embedded stack on free ports for a test session, and talking to it."""

from __future__ import annotations

import functools
import os
import random
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opentelemetry.instrumentation.utils import suppress_instrumentation

from deploy.stack import Stack
from shared.settings import SERVICES, Settings
from tests.support import http

FIRST_PORT = 10_000
_given: set[int] = set()  # never handed out twice by this process


@functools.cache
def _test_ports() -> range:
    """The ports this process picks from: below the kernel's ephemeral range, since a port
    the kernel once called free there can become an outgoing connection's source port before
    the server binds it (CI lost matching's port that way); a slice of its own per xdist
    worker, so two workers never pick the same one."""
    try:
        text = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text()
        ephemeral = int(text.split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral = 32_768
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    index = int(worker) if worker.isdigit() else 0
    workers = max(1, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
    size = max(0, ephemeral - FIRST_PORT) // workers
    return range(FIRST_PORT + index * size, FIRST_PORT + (index + 1) * size)


def free_port() -> int:
    ports = _test_ports()
    if len(ports) >= 500:
        for port in random.sample(ports, 500):
            if port in _given:
                continue
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    continue
            _given.add(port)
            return port
    with socket.socket() as sock:  # no room below the ephemeral range here: the kernel's pick
        sock.bind(("127.0.0.1", 0))
        chosen: int = sock.getsockname()[1]
        return chosen


def stack_settings(data_dir: Path, **overrides: Any) -> Settings:
    ports = {f"{service}_port": free_port() for service in SERVICES}
    return Settings(
        kafka_bootstrap=f"127.0.0.1:{free_port()}",
        mongo_url=f"mongodb://127.0.0.1:{free_port()}",
        data_dir=data_dir,
        _env_file=None,  # type: ignore[call-arg]
        **ports,
        **{
            "telemetry_exporter": "file",
            "outbox_poll_seconds": 0.2,
            # the embedded broker answers an empty fetch only when its wait is over, so each
            # hop of an event waited 250 ms on average at the default 500 ms (BENCHMARKS.md,
            # "notification latency"); idle polling costs a little more CPU
            "kafka_fetch_max_wait_ms": 100,
            # a new group's first join waits half of it on the embedded broker: 3 s, not 5
            # (the session stack's is shorter still: tests/conftest.py)
            "kafka_session_timeout_ms": 6_000,
            **overrides,
        },
    )


class GraphQLError(AssertionError):
    pass


@dataclass
class Client:
    """A GraphQL client of the gateway, optionally with a bearer token."""

    url: str
    token: str | None = None

    def execute(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        all_headers = {"authorization": f"Bearer {self.token}"} if self.token else {}
        all_headers.update(headers or {})
        # A client from outside: no trace context of the test process (which may have
        # instrumented httpx for an in-process gateway) leaks into the stack's traces.
        with suppress_instrumentation():
            response = http.post(
                self.url,
                json={"query": query, "variables": variables or {}},
                headers=all_headers,
                timeout=30,
            )
        body: dict[str, Any] = response.json()
        return body

    def data(
        self, query: str, variables: dict[str, Any] | None = None, **kw: Any
    ) -> dict[str, Any]:
        """The `data` of a response that must have no errors."""
        body = self.execute(query, variables, **kw)
        if body.get("errors"):
            raise GraphQLError(body["errors"])
        data: dict[str, Any] = body["data"]
        return data

    def errors(
        self, query: str, variables: dict[str, Any] | None = None, **kw: Any
    ) -> list[dict[str, Any]]:
        """The `errors` of a response that must fail."""
        body = self.execute(query, variables, **kw)
        assert body.get("errors"), f"expected errors, got {body}"
        errors: list[dict[str, Any]] = body["errors"]
        return errors

    def as_(self, token: str) -> Client:
        return Client(self.url, token)


def codes(errors: list[dict[str, Any]]) -> list[str]:
    """The error codes of a GraphQL answer's `errors`, in order."""
    return [e["extensions"]["code"] for e in errors]


def create_network(
    stack: Stack, name: str = "Lane Network", time_zone: str = "America/Los_Angeles"
) -> dict[str, str]:
    response = http.post(
        f"{stack.service_url('intake')}/networks",
        json={"name": name, "region": "Lane County", "time_zone": time_zone},
        headers={"X-Service-Token": stack.settings.service_token.get_secret_value()},
        timeout=10,
    )
    response.raise_for_status()
    body: dict[str, str] = response.json()
    return body
