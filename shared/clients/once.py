"""One call to a service from a synchronous program (the CLI, the demo): a client built from
the settings, used once in its own event loop, and closed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from shared.http import ServiceClient
from shared.settings import ServiceName, Settings

A = TypeVar("A")


def service_http(settings: Settings, service: ServiceName) -> ServiceClient:
    """The internal HTTP client of `service`, with the service token and time limit."""
    token = settings.service_token.get_secret_value()
    return ServiceClient(service, settings.url_of(service), token, settings.http_timeout_seconds)


def call_once(
    settings: Settings, service: ServiceName, call: Callable[[ServiceClient], Awaitable[A]]
) -> A:
    """`call` with a fresh client of `service`; its `AppError` (UNAVAILABLE when the service
    cannot be reached) is raised here."""

    async def run() -> A:
        http = service_http(settings, service)
        try:
            return await call(http)
        finally:
            await http.aclose()

    return asyncio.run(run())
