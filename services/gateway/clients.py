"""One internal HTTP client per service, built once per gateway process."""

from __future__ import annotations

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

    async def aclose(self) -> None:
        for client in (self.intake, self.matching, self.commitments, self.notifications):
            await client.aclose()
