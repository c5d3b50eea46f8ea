"""The answers of the routes every service has: its readiness, and its clock (set only where
`clock_control` is on: tests and the demo)."""

from __future__ import annotations

from datetime import datetime

from shared.contracts.base import Payload


class ReadinessView(Payload):
    """`GET /health/ready` (shared/health.py builds it)."""

    service: str = ""
    # "ok", "degraded" (it serves its API without something else), or "unavailable"
    status: str = "ok"
    dependencies: dict[str, str] = {}


class ClockSet(Payload):
    """`PUT /clock`: the service's time now."""

    now: datetime
