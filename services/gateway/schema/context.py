"""Typed access to the request context from resolvers."""

from __future__ import annotations

from strawberry.types import Info as StrawberryInfo

from services.gateway.context import GatewayContext

Info = StrawberryInfo[GatewayContext, None]
