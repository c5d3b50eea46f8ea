"""The bootstrap every data service shares: one runtime (settings, MongoDB, broker, outbox,
idempotent consumer, tracer) and one FastAPI app whose lifespan starts and stops it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import uvicorn
from fastapi import APIRouter, Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse, Response
from faststream.kafka import KafkaBroker
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from pymongo import AsyncMongoClient

from shared import deadline
from shared.broker import BrokerAdmin, ensure_topics, kafka_broker
from shared.clock import Clock, WallClock
from shared.consumer import EventConsumer, consumer_indexes
from shared.contracts.operations import ClockSet
from shared.contracts.requests.operations import SetClock
from shared.deadline import DEADLINE_HEADER
from shared.disk import DiskWatch, refuse_writes_when_full
from shared.errors import AppError, ErrorCode
from shared.faults import Faults, faults_router
from shared.health import Readiness
from shared.http import SERVICE_TOKEN_HEADER, install_error_handlers, token_matches
from shared.logs import log_handler
from shared.mongo import (
    Database,
    Document,
    IndexSpec,
    ensure_indexes,
    mongo_client,
)
from shared.outbox import Outbox, OutboxRelay, outbox_indexes
from shared.outbox_metrics import observe_outbox
from shared.prometheus import PrometheusScrape, install_metrics
from shared.settings import ServiceName, Settings
from shared.telemetry import setup_telemetry, untraced_urls

BackgroundTask = Callable[[], Coroutine[Any, Any, None]]


@dataclass
class Runtime:
    name: ServiceName
    settings: Settings
    client: AsyncMongoClient[Document]
    db: Database
    broker: KafkaBroker
    outbox: Outbox
    consumer: EventConsumer
    tracer_provider: TracerProvider
    scrape: PrometheusScrape
    clock: Clock = field(default_factory=Clock)
    # security expiries and what other parties check with their own clocks (shared/clock.py)
    wall_clock: Clock = field(default_factory=WallClock)
    faults: Faults | None = None  # settings.fault_injection: tests make handlers fail
    background: list[BackgroundTask] = field(default_factory=list)


def build_runtime(name: ServiceName, settings: Settings) -> Runtime:
    scrape = PrometheusScrape()
    provider = setup_telemetry(name, settings, [scrape.reader])
    client = mongo_client(settings)
    db = client[settings.database_name(name)]
    broker = kafka_broker(settings, name, provider)
    outbox = Outbox(client, db, source=f"commonweave/{name}")
    faults = Faults() if settings.fault_injection else None
    observe_outbox(outbox.backlog)
    consumer = EventConsumer(
        broker,
        outbox,
        name,
        max_attempts=settings.consumer_max_attempts,
        fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
        max_partition_fetch_bytes=settings.kafka_max_partition_fetch_bytes,
        session_timeout_ms=settings.kafka_session_timeout_ms,
        batch_max_records=settings.consumer_batch_max_records,
        batch_timeout_ms=settings.consumer_batch_timeout_ms,
        park_limit=timedelta(seconds=settings.consumer_park_limit_seconds),
        faults=faults,
        tracer_provider=provider,
    )
    return Runtime(
        name, settings, client, db, broker, outbox, consumer, provider, scrape, faults=faults
    )


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def require_service_token(
    request: Request, token: str | None = Header(None, alias=SERVICE_TOKEN_HEADER)
) -> None:
    expected = request.app.state.runtime.settings.service_token.get_secret_value()
    if not token_matches(token, expected):
        raise AppError(ErrorCode.UNAUTHENTICATED, "a valid service token is required")


def build_app(runtime: Runtime, routers: Sequence[APIRouter], indexes: IndexSpec) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        window = timedelta(seconds=runtime.settings.outbox_replay_window_seconds)
        await ensure_indexes(
            runtime.db,
            {**outbox_indexes(window), **consumer_indexes(2 * window), **indexes},
        )
        await ensure_topics(runtime.settings, runtime.consumer.topics_with_dlq())
        admin = BrokerAdmin(runtime.settings)
        runtime.consumer.attach(admin.committed)
        await runtime.broker.start()
        relay = OutboxRelay(
            runtime.outbox,
            runtime.broker,
            admin,
            runtime.settings.outbox_poll_seconds,
            window,
            replay_per_second=runtime.settings.outbox_replay_per_second,
        )
        tasks = [
            asyncio.create_task(relay.run(), name=f"{runtime.name}-outbox-relay"),
            asyncio.create_task(runtime.consumer.retry_parked(), name=f"{runtime.name}-parked"),
            asyncio.create_task(
                runtime.consumer.follow_broker(admin.cluster_id), name=f"{runtime.name}-broker"
            ),
            asyncio.create_task(runtime.clock.follow(runtime.client), name=f"{runtime.name}-clock"),
        ]
        tasks += [asyncio.create_task(job()) for job in runtime.background]
        tasks.append(asyncio.create_task(readiness.watch(), name=f"{runtime.name}-health"))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            # The consumers' graceful stop (a handler in flight gets its few seconds) beside the
            # tasks' own ends (the relay's last look at the positions, 2 s at most), not after
            # them: one after the other they outlasted the runner's 10 s before SIGKILL.
            await asyncio.gather(
                asyncio.gather(*tasks, return_exceptions=True), runtime.broker.stop()
            )
            await admin.close()
            await runtime.client.close()
            runtime.tracer_provider.shutdown()

    app = FastAPI(title=f"commonweave-{runtime.name}", lifespan=lifespan)
    app.state.runtime = runtime
    install_error_handlers(app)
    disk = DiskWatch.of(runtime.settings)
    # reads, and retries of writes that already happened, go on when storage is full
    from shared.idempotency import IDEMPOTENCY, answered_before  # it depends on this module

    app.middleware("http")(refuse_writes_when_full(disk, answered_before(runtime.db[IDEMPOTENCY])))
    readiness = Readiness(
        runtime.name,
        runtime.db,
        runtime.broker.ping,
        runtime.consumer.joined,
        disk,
        runtime.settings.health_timeout_seconds,
    )

    @app.middleware("http")
    async def caller_deadline(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        deadline.start(request.headers.get(DEADLINE_HEADER))
        return await call_next(request)

    @app.get("/health/live")
    async def live() -> dict[str, str]:
        return {"service": runtime.name, "status": "live"}

    @app.get("/health/ready")
    @app.get("/health")
    async def ready() -> JSONResponse:
        """Ready while the service can answer its own API: its store's real round trip
        (shared/health.py); a broker outage or a group still joining shows as degraded."""
        status, body = await readiness.answer()
        return JSONResponse(body, status_code=status)

    install_metrics(app, runtime.scrape)  # GET /metrics, and the readiness probe's answers
    for router in routers:
        app.include_router(router, dependencies=[Depends(require_service_token)])
    if runtime.settings.clock_control:
        app.include_router(
            clock_router(runtime.clock), dependencies=[Depends(require_service_token)]
        )
    if runtime.faults is not None:
        app.include_router(
            faults_router(runtime.faults), dependencies=[Depends(require_service_token)]
        )
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=runtime.tracer_provider,
        excluded_urls=untraced_urls(),
        exclude_spans=["receive", "send"],
    )
    return app


def clock_router(clock: Clock) -> APIRouter:
    """`PUT /clock {"now": ...}` sets the service's clock (null: back to the system clock);
    mounted only with `clock_control`, which production leaves off."""
    router = APIRouter()

    @router.put("/clock")
    async def set_clock(body: SetClock) -> ClockSet:
        clock.set(body.now)
        return ClockSet(now=clock.now())

    return router


def configure_logging(service: str, level: str) -> None:
    logging.basicConfig(
        level=level,
        format=f"%(asctime)s {service} %(levelname)s %(name)s: %(message)s",
        handlers=[log_handler(service)],  # JSON lines with span ids unless log_format is text
    )


# Each request starts in a context of its own. uvicorn starts a request that arrived on a
# connection while the one before it was still being answered from inside that request's task,
# so it inherited its context vars: OpenTelemetry's current span among them. Under load a
# registration's intake span then became a child of the caller's token lookup just before it
# (POST /auth/resolve), not of the gateway's call (22 of 482 in one CI run; test_slice failed).
SERVER_OPTIONS: dict[str, Any] = {"access_log": False, "reset_contextvars": True}


def serve(name: ServiceName, create_app: Callable[[Settings], FastAPI]) -> None:
    settings = Settings()
    configure_logging(name, settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port_of(name),
        log_level=settings.log_level.lower(),
        **SERVER_OPTIONS,
    )
