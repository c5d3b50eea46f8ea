"""Per-request context: who is calling (resolved once from the bearer token), the clients,
the request's DataLoaders and the event feed subscriptions read from."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from typing import Any

from strawberry.fastapi import BaseContext

from services.gateway.callers import CallerCache
from services.gateway.clients import ServiceClients
from services.gateway.feed import EventFeed
from services.gateway.loaders import Loaders
from shared.contracts.intake import Role
from shared.errors import AppError, ErrorCode
from shared.http import IDEMPOTENCY_HEADER
from shared.settings import Settings


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
    def __init__(
        self,
        settings: Settings,
        clients: ServiceClients,
        bearer: str | None,
        feed: EventFeed | None = None,
        client_host: str = "unknown",
        callers: CallerCache | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.clients = clients
        self.feed = feed
        self.loaders = Loaders()
        self._bearer = bearer
        self._callers = callers
        self._client_host = client_host
        self._caller: Caller | None = None
        self._refused: AppError | None = None
        self._resolving = asyncio.Lock()  # resolvers run concurrently: resolve the token once

    @property
    def bearer(self) -> str | None:
        """The header's token, or over websockets the `connection_init` payload's
        (`{"Authorization": "Bearer ..."}` or `{"token": ...}`)."""
        if self._bearer:
            return self._bearer
        params: Any = self.connection_params
        if isinstance(params, dict):
            header = params.get("Authorization") or params.get("authorization")
            token = bearer_token(header) if isinstance(header, str) else params.get("token")
            return token if isinstance(token, str) and token else None
        return None

    @property
    def has_token(self) -> bool:
        return bool(self.bearer)

    @property
    def rate_key(self) -> str:
        """What the rate limit counts by: the token, else the client address."""
        return f"token:{self.bearer}" if self.bearer else f"host:{self._client_host}"

    @property
    def idempotency_key(self) -> str | None:
        """The client's `Idempotency-Key` header, if it sent one."""
        request = getattr(self, "request", None)
        key = request.headers.get(IDEMPOTENCY_HEADER) if request is not None else None
        return (key.strip() or None) if isinstance(key, str) else None

    def idempotency_headers(self, credential: str | None = None) -> dict[str, str]:
        """The header for a write to a service: a digest of the caller's credential (the
        bearer token, or `credential` such as a join code) and the client's key, so keys are
        per caller and the service never sees the credential."""
        key = self.idempotency_key
        if key is None:
            return {}
        who = credential if credential is not None else (self.bearer or "")
        digest = hashlib.sha256(f"{who}\n{key}".encode()).hexdigest()
        return {IDEMPOTENCY_HEADER: digest}

    async def caller(self) -> Caller:
        """The authenticated caller; UNAUTHENTICATED when the token is missing or unknown."""
        async with self._resolving:
            if self._caller is None:
                bearer = self.bearer
                if not bearer:
                    raise AppError(
                        ErrorCode.UNAUTHENTICATED, "an Authorization: Bearer token is required"
                    )
                if self._refused is not None:
                    raise self._refused
                cached = self._callers.get(bearer) if self._callers is not None else None
                if cached is not None:
                    self._caller = cached
                    return cached
                try:
                    holder = await self.clients.intake.resolve_token(bearer)
                except AppError as exc:
                    if exc.code is ErrorCode.UNAUTHENTICATED:
                        self._refused = exc
                    raise
                self._caller = Caller(
                    member_id=holder.member_id,
                    network_id=holder.network_id,
                    organization_id=holder.organization_id,
                    role=holder.role,
                )
                if self._callers is not None:
                    self._callers.put(bearer, self._caller)
            return self._caller

    def forget_member(self, member_id: str) -> None:
        """This replica stops trusting the member's cached tokens now (the others, when the
        `member.removed` event reaches them)."""
        if self._callers is not None:
            self._callers.forget_member(member_id)

    async def still_authenticated(self) -> bool:
        """For long-lived subscriptions: the token has not been revoked since it was resolved
        (asked of intake, not the cache). Only a definite UNAUTHENTICATED says no; intake being
        briefly down does not."""
        try:
            await self.clients.intake.resolve_token(self.bearer or "")
        except AppError as exc:
            return exc.code is not ErrorCode.UNAUTHENTICATED
        return True


def bearer_token(authorization: str | None) -> str | None:
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip() or None
    return None
