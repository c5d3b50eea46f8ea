"""Per-request context: who is calling (resolved once from the bearer token) and the clients."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from strawberry.fastapi import BaseContext

from services.gateway.clients import ServiceClients
from shared.errors import AppError, ErrorCode
from shared.settings import Settings


class Role(StrEnum):
    OPERATOR = "OPERATOR"
    ORG_ADMIN = "ORG_ADMIN"
    MEMBER = "MEMBER"


@dataclass(frozen=True)
class Caller:
    member_id: str
    network_id: str
    organization_id: str | None
    role: Role

    @property
    def is_operator(self) -> bool:
        return self.role is Role.OPERATOR

    def in_network(self, network_id: str) -> bool:
        return self.network_id == network_id


class GatewayContext(BaseContext):
    def __init__(self, settings: Settings, clients: ServiceClients, bearer: str | None) -> None:
        super().__init__()
        self.settings = settings
        self.clients = clients
        self._bearer = bearer
        self._caller: Caller | None = None

    @property
    def has_token(self) -> bool:
        return bool(self._bearer)

    async def caller(self) -> Caller:
        """The authenticated caller; UNAUTHENTICATED when the token is missing or unknown."""
        if self._caller is None:
            if not self._bearer:
                raise AppError(
                    ErrorCode.UNAUTHENTICATED, "an Authorization: Bearer token is required"
                )
            found = await self.clients.intake.post("/auth/resolve", {"token": self._bearer})
            self._caller = Caller(
                member_id=found["memberId"],
                network_id=found["networkId"],
                organization_id=found.get("organizationId"),
                role=Role(found["role"]),
            )
        return self._caller


def bearer_token(authorization: str | None) -> str | None:
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip() or None
    return None
