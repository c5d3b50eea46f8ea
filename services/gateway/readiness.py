"""Ready means ready: until every service has answered ready once, the gateway answers every
operation UNAVAILABLE with a message saying the stack is starting, instead of answering
half-started (a write that cannot reach its service, a subscription that receives nothing).

After that the gateway serves what it can: it stays ready while any service answers, and an
operation whose service is down answers UNAVAILABLE with `retryable: true` (shared/http.py)
while the others keep working. Taking every gateway out of its Service because one service is
down would turn a partial outage into a whole one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from strawberry.extensions import SchemaExtension

from shared.errors import AppError, ErrorCode

if TYPE_CHECKING:
    from services.gateway.clients import ServiceClients

STARTING_MESSAGE = "the stack is starting; retry in a few seconds"


class StackStarting(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        clients = getattr(self.execution_context.context, "clients", None)
        if clients is not None and not clients.ready:
            # retryable: a client that follows the README tries again (a restarted gateway
            # says this for its first seconds; the gateway-kill drill found it unmarked)
            raise AppError(ErrorCode.UNAVAILABLE, STARTING_MESSAGE, details={"retryable": True})
        yield


async def gateway_readiness(clients: ServiceClients) -> tuple[int, dict[str, Any]]:
    """HTTP status and body of `/health/ready`: 503 while starting or while no service
    answers; otherwise 200, `ready` when every service is fully ok, else `degraded` with
    each service's state."""
    if not clients.ready:
        return 503, {"service": "gateway", "status": "starting"}
    dependencies = await clients.health()
    serving = [name for name, state in dependencies.items() if not state.startswith("down")]
    healthy = all(state == "ok" for state in dependencies.values())
    status = "ready" if healthy else "degraded" if serving else "unavailable"
    body = {"service": "gateway", "status": status, "dependencies": dependencies}
    return (200 if serving else 503), body
