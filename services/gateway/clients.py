"""One typed client per service (`shared.clients`), built once per gateway process."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from shared.clients import CommitmentsClient, IntakeClient, MatchingClient, NotificationsClient
from shared.clients.once import service_http
from shared.contracts.operations import ReadinessView
from shared.errors import AppError
from shared.http import ServiceClient
from shared.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class ServiceClients:
    intake: IntakeClient
    matching: MatchingClient
    commitments: CommitmentsClient
    notifications: NotificationsClient
    # Latched once every service has answered ready: until then the gateway answers every
    # operation UNAVAILABLE rather than half-started (services.gateway.readiness).
    ready: bool = False
    # How long a health check waits for a service's answer: a probe must not hang on a
    # paused service or store (each service bounds its own checks below this).
    health_timeout: float = 3.0

    @classmethod
    def from_settings(cls, settings: Settings) -> ServiceClients:
        return cls(
            intake=IntakeClient(service_http(settings, "intake")),
            matching=MatchingClient(service_http(settings, "matching")),
            commitments=CommitmentsClient(service_http(settings, "commitments")),
            notifications=NotificationsClient(service_http(settings, "notifications")),
            health_timeout=settings.health_timeout_seconds + 1.5,
        )

    @property
    def all(self) -> tuple[ServiceClient, ...]:
        """The HTTP client under each typed one (health, shutdown)."""
        return (
            self.intake.http,
            self.matching.http,
            self.commitments.http,
            self.notifications.http,
        )

    def by_name(self, service: str) -> ServiceClient:
        for client in self.all:
            if client.service == service:
                return client
        raise KeyError(service)

    async def wait_until_ready(self, interval: float = 0.2) -> None:
        while not self.ready:
            health = await self.health()
            if not any(state.startswith("down") for state in health.values()):
                self.ready = True
                log.info("every service is ready")
            else:
                await asyncio.sleep(interval)

    async def health(self) -> dict[str, str]:
        """Each service's own readiness, asked concurrently, each within `health_timeout`:
        "ok", "degraded: ..." (it serves its API, without its broker) or "down: ..."."""

        async def check(client: ServiceClient) -> str:
            try:
                body = await asyncio.wait_for(
                    client.get("/health/ready", ReadinessView), self.health_timeout
                )
            except TimeoutError:
                return f"down: no answer within {self.health_timeout:g}s"
            except AppError as exc:
                # a 503 from /health/ready carries the readiness body: say which dependency
                unready = ReadinessView.model_validate(exc.details.get("body") or {})
                return f"down: {exc}{_failing(unready) if unready.dependencies else ''}"
            except Exception as exc:
                return f"down: {exc}"
            if body.status != "ok":
                return f"degraded:{_failing(body)}"
            return "ok"

        results = await asyncio.gather(*(check(c) for c in self.all))
        return {c.service: r for c, r in zip(self.all, results, strict=True)}

    async def aclose(self) -> None:
        for client in self.all:
            await client.aclose()


def _failing(readiness: ReadinessView) -> str:
    failing = {name: state for name, state in readiness.dependencies.items() if state != "ok"}
    return f" {failing}"
