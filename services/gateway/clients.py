"""One internal HTTP client per service, built once per gateway process."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from shared.http import ServiceClient
from shared.settings import Settings


@dataclass
class ServiceClients:
    intake: ServiceClient
    matching: ServiceClient
    commitments: ServiceClient
    notifications: ServiceClient

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

    async def health(self) -> dict[str, str]:
        """Each service's own /health, asked concurrently: "ok" or why not."""

        async def check(client: ServiceClient) -> str:
            try:
                await client.get("/health")
                return "ok"
            except Exception as exc:
                return f"down: {exc}"

        results = await asyncio.gather(*(check(c) for c in self.all))
        return {c.service: r for c, r in zip(self.all, results, strict=True)}

    async def aclose(self) -> None:
        for client in self.all:
            await client.aclose()
