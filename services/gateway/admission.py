"""Admission: how many GraphQL requests over HTTP this gateway process serves at once, as ASGI
middleware in front of everything else.

The admitted number adapts to what the stack behind can carry (additive increase,
multiplicative decrease, as TCP's congestion window does): a request that took longer than
the target latency shrinks it by a tenth, a quicker one grows it by a step of 1/limit, between
a floor and the ceiling. Under overload the stack's latency rises, the limit falls, and what
does not fit is refused before its body is read, parsed or traced: UNAVAILABLE with
`extensions.retryable`, in one turn of the event loop. Nothing queues into the services'
deadlines (where a write may land after its caller was told it failed), and a refusal costs
the busy process next to nothing. Subscriptions (websockets) are long-lived by design and not
counted.

Background work also makes answers slow (consumers working off a backlog, a replay after a
broker restart), and refusing callers does not make that work go faster. So a slow answer
shrinks the limit only if it was admitted into a crowded gateway, more than half the limit in
flight (the overload is then this gateway's own queue; TCP likewise leaves a window it does
not use alone, RFC 7661); and the limit never falls below `floor`, the capacity kept for the
front door whatever the latency."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from shared.errors import ErrorCode
from shared.settings import Settings
from shared.telemetry import current_trace_id

REFUSAL = {
    "message": "the gateway is at capacity; retry shortly with the same Idempotency-Key",
    "extensions": {"code": ErrorCode.UNAVAILABLE.value, "retryable": True},
}


@dataclass
class InFlight:
    """Requests being served now, and how many are admitted at once."""

    ceiling: int
    target_seconds: float = 1.0
    floor: int = 1
    count: int = 0
    limit: float = 0.0

    def __post_init__(self) -> None:
        self.limit = self.limit or float(self.ceiling)
        self.floor = min(self.floor, self.ceiling)

    def admit(self) -> bool:
        if self.count >= max(1, int(self.limit)):
            return False
        self.count += 1
        return True

    def crowded(self) -> bool:
        """More than half the admitted number in flight (asked right after an admission)."""
        return self.count > self.limit / 2

    def done(self, seconds: float, crowded: bool = True) -> None:
        """`crowded`: whether the gateway was crowded when this request was admitted."""
        self.count -= 1
        if seconds <= self.target_seconds:
            self.limit = min(float(self.ceiling), self.limit + 1 / self.limit)
        elif crowded:
            self.limit = max(float(self.floor), self.limit * 0.9)
        # slow though few were in flight: the latency is not this gateway's doing; kept


class Admission:
    def __init__(self, app: ASGIApp, in_flight: InFlight, path: str = "/graphql") -> None:
        self.app = app
        self.in_flight = in_flight
        self.path = path

    @staticmethod
    def in_flight_of(settings: Settings) -> InFlight:
        """`app.add_middleware(Admission, in_flight=Admission.in_flight_of(settings))`"""
        return InFlight(
            settings.gateway_max_in_flight,
            settings.gateway_target_latency_seconds,
            settings.gateway_min_in_flight,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        counted = (
            scope["type"] == "http"
            and scope.get("method") == "POST"
            and scope.get("path", "").rstrip("/") == self.path
        )
        if not counted:
            await self.app(scope, receive, send)
            return
        if not self.in_flight.admit():
            await refuse(send)
            return
        began, crowded = time.perf_counter(), self.in_flight.crowded()
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight.done(time.perf_counter() - began, crowded)


async def refuse(send: Send) -> None:
    body = json.dumps(
        {"data": None, "errors": [REFUSAL], "extensions": {"traceId": current_trace_id()}}
    ).encode()
    # HTTP 200 like every other GraphQL error answer of this gateway, so clients read one
    # shape; `Retry-After` for those that look at headers.
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", b"1"),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
