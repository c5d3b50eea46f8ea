"""The answer of every service's `GET /health/ready` (shared/health.py builds it)."""

from __future__ import annotations

from shared.contracts.base import Payload


class Readiness(Payload):
    service: str = ""
    # "ok", "degraded" (it serves its API without something else), or "unavailable"
    status: str = "ok"
    dependencies: dict[str, str] = {}
