"""Readiness as metrics: what the process last answered its readiness probe
(`commonweave.service.ready`, 1 or 0) and how often that answer changed
(`commonweave.service.readiness.changes`), so an operator sees a pod dropping out of its
Service, and one flapping in and out, without reading the orchestrator's events.

Recorded from the probe's answers as they pass (an ASGI middleware), so the readiness check
itself stays one idea: whoever probes (the kubelet, compose's healthcheck, the stack runner)
is what the metric reports.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from opentelemetry.metrics import CallbackOptions, Meter, Observation
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.metrics import meter

READY = "commonweave.service.ready"
READINESS_CHANGES = "commonweave.service.readiness.changes"
PROBE_PATH = "/health/ready"


class ReadinessMetrics:
    def __init__(self, meter_: Meter | None = None) -> None:
        m = meter_ or meter()
        self._lock = threading.Lock()  # the reader calls back from its own thread
        self._ready: bool | None = None  # not probed yet: no reading
        self._changes = m.create_counter(
            READINESS_CHANGES,
            unit="{change}",
            description="Times the readiness probe's answer changed (ready to not, or back).",
        )
        self._changes.add(0)  # the series exists before the first change, so rate() sees it
        m.create_observable_gauge(
            READY,
            callbacks=[self._observe],
            unit="1",
            description="1 if the last readiness probe answered ready, else 0.",
        )

    def answered(self, ready: bool) -> None:
        with self._lock:
            changed = self._ready is not None and self._ready != ready
            self._ready = ready
        if changed:
            self._changes.add(1)

    def _observe(self, _: CallbackOptions) -> Iterable[Observation]:
        with self._lock:
            ready = self._ready
        return [] if ready is None else [Observation(int(ready))]


class ReadinessProbes:
    """Passes every request through; notes the status of each answer to `/health/ready`."""

    def __init__(self, app: ASGIApp, metrics: ReadinessMetrics | None = None) -> None:
        self.app = app
        self.metrics = metrics or ReadinessMetrics()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PROBE_PATH:
            await self.app(scope, receive, send)
            return

        async def noting_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.metrics.answered(200 <= message["status"] < 300)
            await send(message)

        await self.app(scope, receive, noting_status)
