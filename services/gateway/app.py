"""The gateway's wiring: GraphQL over FastAPI, the service clients, telemetry."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from strawberry.fastapi import GraphQLRouter

from services.gateway.clients import ServiceClients
from services.gateway.context import GatewayContext, bearer_token
from services.gateway.schema import build_schema
from shared.settings import Settings
from shared.telemetry import setup_telemetry


def create_app(settings: Settings) -> FastAPI:
    provider = setup_telemetry("gateway", settings)
    clients = ServiceClients.from_settings(settings)

    async def get_context(request: Request) -> GatewayContext:
        return GatewayContext(settings, clients, bearer_token(request.headers.get("authorization")))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await clients.aclose()
            provider.shutdown()

    app = FastAPI(title="commonweave-gateway", lifespan=lifespan)
    app.include_router(GraphQLRouter(build_schema(), context_getter=get_context), prefix="/graphql")

    @app.get("/health")
    async def health() -> JSONResponse:
        body: dict[str, Any] = {"service": "gateway", "status": "ok"}
        return JSONResponse(body)

    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=provider, excluded_urls="health", exclude_spans=["receive", "send"]
    )
    return app
