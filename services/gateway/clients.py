"""One internal HTTP client per service, built once per gateway process."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from shared.http import ServiceClient
from shared.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class ServiceClients:
    intake: ServiceClient
    matching: ServiceClient
    commitments: ServiceClient
    notifications: ServiceClient
    # Latched once every service has answered ready: until then the gateway answers every
    # operation UNAVAILABLE rather than half-started (services.gateway.readiness).
    ready: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> ServiceClients:
        token = settings.service_token.get_secret_value()

        def client(name: str) -> ServiceClient:
            url = settings.url_of(name)  # type: ignore[arg-type]
            return ServiceClient(name, url, token, settings.http_timeout_seconds)

        return cls(
            intake=client("intake"),
            matching=client("matching"),
            commitments=client("commitments"),
            notifications=client("notifications"),
        )

    @property
    def all(self) -> tuple[ServiceClient, ...]:
        return (self.intake, self.matching, self.commitments, self.notifications)

    def by_name(self, service: str) -> ServiceClient:
        for client in self.all:
            if client.service == service:
                return client
        raise KeyError(service)

    async def wait_until_ready(self, interval: float = 0.2) -> None:
        while not self.ready:
            health = await self.health()
            if all(state == "ok" for state in health.values()):
                self.ready = True
                log.info("every service is ready")
            else:
                await asyncio.sleep(interval)

    async def health(self) -> dict[str, str]:
        """Each service's own readiness, asked concurrently: "ok" or why not."""

        async def check(client: ServiceClient) -> str:
            try:
                await client.get("/health/ready")
                return "ok"
            except Exception as exc:
                return f"down: {exc}"

        results = await asyncio.gather(*(check(c) for c in self.all))
        return {c.service: r for c, r in zip(self.all, results, strict=True)}

    async def aclose(self) -> None:
        for client in self.all:
            await client.aclose()
