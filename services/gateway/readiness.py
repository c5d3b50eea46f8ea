"""Ready means ready: until every service has answered ready once, the gateway answers every
operation UNAVAILABLE with a message saying the stack is starting, instead of answering
half-started (a write that cannot reach its service, a subscription that receives nothing)."""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from shared.errors import AppError, ErrorCode

STARTING_MESSAGE = "the stack is starting; retry in a few seconds"


class StackStarting(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        clients = getattr(self.execution_context.context, "clients", None)
        if clients is not None and not clients.ready:
            # retryable: a client that follows the README tries again (a restarted gateway
            # says this for its first seconds; the gateway-kill drill found it unmarked)
            raise AppError(ErrorCode.UNAVAILABLE, STARTING_MESSAGE, details={"retryable": True})
        yield
