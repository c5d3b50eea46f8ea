"""The gateway's wiring: GraphQL over FastAPI (HTTP and graphql-transport-ws), the service
clients, the event feed for subscriptions, telemetry, and health: live, ready (every service
ready) and the dependencies' state."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse, Response
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from starlette.requests import HTTPConnection, Request
from starlette.websockets import WebSocket
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLHTTPResponse
from strawberry.http import process_result as default_process_result
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from services.gateway.admission import Admission
from services.gateway.body_limit import BodyLimit
from services.gateway.callers import REVOKING_TOPICS, CallerCache
from services.gateway.clients import ServiceClients
from services.gateway.context import GatewayContext, bearer_token
from services.gateway.dashboard.routes import mount_dashboard
from services.gateway.feed import EventFeed
from services.gateway.graphiql import graphiql_html, mount_graphiql_assets
from services.gateway.limits import rate_limit_storage
from services.gateway.media import GRAPHQL_RESPONSE, graphql_response, prefers_graphql_response
from services.gateway.readiness import gateway_readiness
from services.gateway.schema import build_schema
from services.gateway.schema.errors import shape_errors
from services.gateway.web.api import WebContext
from services.gateway.web.routes import mount_workspace
from shared.clock import WallClock
from shared.contracts.intake import MemberRemoved
from shared.i18n import Catalogs
from shared.prometheus import PrometheusScrape, install_metrics
from shared.settings import Settings
from shared.telemetry import current_trace_id, setup_telemetry, untraced_urls


class GatewayRouter(GraphQLRouter[GatewayContext, None]):
    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        """GraphiQL from the gateway's own assets (it works offline), with a starter query."""
        return HTMLResponse(graphiql_html())

    async def process_result(
        self, request: Request | WebSocket, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """Every HTTP response: errors in the contract's shape and the trace id, also when
        the failure happened before execution (parse, validation, limits, extensions)."""
        result.errors = shape_errors(result.errors)
        response = default_process_result(result)
        extensions = dict(response.get("extensions") or {})
        extensions.setdefault("traceId", current_trace_id())
        response["extensions"] = extensions
        if isinstance(request, Request) and prefers_graphql_response(request.headers.get("accept")):
            request.state.graphql_status, response = graphql_response(result, response)
        return response

    async def run(
        self, request: Request | WebSocket, context: Any = UNSET, root_value: Any = UNSET
    ) -> Any:
        """`application/graphql-response+json` with its status when the client asked for it
        (services.gateway.media); `application/json` answers as before."""
        response = await super().run(request, context, root_value)
        status = getattr(request.state, "graphql_status", None)
        if isinstance(request, Request) and isinstance(response, Response) and status:
            response.status_code = status
            response.headers["content-type"] = GRAPHQL_RESPONSE
        return response


async def forget_revoked(feed: EventFeed, callers: CallerCache) -> None:
    """A removed member's tokens leave the cache as soon as the event arrives."""
    async for event in feed.listen(REVOKING_TOPICS, lambda _: True):
        if isinstance(event.payload, MemberRemoved):
            callers.forget_member(event.payload.member.member_id)


def create_app(settings: Settings) -> FastAPI:
    scrape = PrometheusScrape()
    provider = setup_telemetry("gateway", settings, [scrape.reader])
    clients = ServiceClients.from_settings(settings)
    # The gateway has no settable clock: its pages, cookies and feed run on real time.
    wall_clock = WallClock()
    feed = EventFeed(settings, (*EventFeed.DEFAULT_TOPICS, *REVOKING_TOPICS), wall_clock)
    callers = CallerCache(settings.gateway_caller_cache_seconds)

    async def get_context(connection: HTTPConnection) -> GatewayContext:
        return GatewayContext(
            settings,
            clients,
            bearer_token(connection.headers.get("authorization")),
            feed,
            connection.client.host if connection.client else "unknown",
            callers,
        )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await feed.start()
        watch = asyncio.create_task(clients.wait_until_ready(), name="gateway-readiness")
        revocations = asyncio.create_task(forget_revoked(feed, callers), name="caller-cache")
        try:
            yield
        finally:
            watch.cancel()
            revocations.cancel()
            await feed.stop()
            await clients.aclose()
            provider.shutdown()

    app = FastAPI(title="commonweave-gateway", lifespan=lifespan)
    app.state.clients = clients
    storage = rate_limit_storage(settings)
    schema = build_schema(settings, storage)
    router = GatewayRouter(
        schema,
        context_getter=get_context,
        graphql_ide="graphiql" if settings.gateway_graphiql else None,
    )
    app.include_router(router, prefix="/graphql")
    if settings.gateway_graphiql:
        mount_graphiql_assets(app)
    catalogs = Catalogs.load()
    mount_dashboard(  # GET /dashboard: the same schema, run in-process with the caller's token
        app,
        schema,
        lambda token, request: GatewayContext(
            settings,
            clients,
            token,
            None,
            request.client.host if request.client else "unknown",
            callers,
        ),
        catalogs,
        wall_clock,
    )
    mount_workspace(  # /app: where members and coordinators act, with the same schema
        app,
        schema,
        lambda token, request: WebContext(
            settings,
            clients,
            token,
            None,
            request.client.host if request.client else "unknown",
            callers,
        ),
        clients,
        storage,
        callers,
        catalogs,
        wall_clock,
    )
    install_metrics(app, scrape)  # GET /metrics, and the readiness probe's answers
    app.add_middleware(BodyLimit, **BodyLimit.options(settings))
    # Added last, so it runs first: a refused request's body is not even read.
    app.add_middleware(Admission, in_flight=Admission.in_flight_of(settings))

    @app.get("/health/live")
    async def live() -> dict[str, str]:
        return {"service": "gateway", "status": "live"}

    @app.get("/health/ready")
    @app.get("/health")
    async def ready() -> JSONResponse:
        """Ready once the whole stack has started, and while at least one service can answer
        (services.gateway.readiness): an operation whose service is down answers UNAVAILABLE,
        retryable, and the others go on. Every service down, or a gateway that reaches none
        (a stuck connection pool), turns red."""
        status, body = await gateway_readiness(clients)
        return JSONResponse(body, status_code=status)

    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=provider,
        excluded_urls=untraced_urls(
            prefixes=("/static/graphiql/", "/dashboard/static/", "/app/static/")
        ),
        exclude_spans=["receive", "send"],
    )
    return app
