"""Internal HTTP between the gateway, the CLI and the services: the service token, the error
model on the wire, and a client that maps failures back to `AppError`."""

from __future__ import annotations

import hmac
import logging
from typing import Any

import httpcore
import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pymongo.errors import PyMongoError
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from shared.deadline import DEADLINE_HEADER, budget_ms
from shared.errors import STORE_UNAVAILABLE, AppError, ErrorCode, field_path, retry_later
from shared.mongo import write_not_applied

log = logging.getLogger(__name__)
SERVICE_TOKEN_HEADER = "X-Service-Token"
IDEMPOTENCY_HEADER = "Idempotency-Key"


MAX_BATCH_IDS = 100


def batch_ids(ids: str) -> list[str]:
    """The ids of a batch route's `?ids=a,b,c` (what the gateway's DataLoaders send)."""
    return [i for i in ids.split(",") if i][:MAX_BATCH_IDS]


def token_matches(presented: str | None, expected: str) -> bool:
    return presented is not None and hmac.compare_digest(presented.encode(), expected.encode())


def install_error_handlers(app: FastAPI) -> None:
    async def on_app_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AppError)
        return JSONResponse(exc.to_body(), status_code=exc.http_status)

    async def on_validation_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": "invalid input"}
        # FastAPI prefixes locations with where the value came from ("body", "query").
        loc = [p for p in first["loc"] if p not in ("body", "query", "path")]
        error = AppError(
            ErrorCode.BAD_USER_INPUT,
            str(first["msg"]),
            field=field_path(loc) or None,
            details={
                "errors": [
                    {"field": field_path([p for p in e["loc"] if p != "body"]), "message": e["msg"]}
                    for e in errors
                ]
            },
        )
        return JSONResponse(error.to_body(), status_code=error.http_status)

    async def on_store_error(request: Request, exc: Exception) -> JSONResponse:
        # A store failure that wrote nothing (or a read) is UNAVAILABLE and retryable, not
        # INTERNAL: the caller's retry with the same Idempotency-Key is safe.
        assert isinstance(exc, PyMongoError)
        if request.method not in ("GET", "HEAD") and not write_not_applied(exc):
            log.error("%s %s: the store failed", request.method, request.url.path, exc_info=exc)
            error = AppError(ErrorCode.INTERNAL, "the store failed; the outcome is unknown")
        else:
            log.warning("%s %s: the store failed (%r)", request.method, request.url.path, exc)
            error = retry_later(STORE_UNAVAILABLE)
        return JSONResponse(error.to_body(), status_code=error.http_status)

    app.add_exception_handler(AppError, on_app_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(PyMongoError, on_store_error)


class _ReclaimingPool(httpcore.AsyncConnectionPool):
    """httpcore's pool, without its slot leak on cancellation (encode/httpcore#1093, present
    up to 1.0.9, the latest release): a request cancelled after the pool handed it a new
    connection, but before it used it, leaves that connection in the pool, never connected,
    never idle, never closed. Enough of those and every call waits for a slot that never
    frees, until the process restarts. Here each time the pool assigns connections it first
    drops every connection no request holds that is neither idle nor closed (a connection in
    use always belongs to a request until its response is closed)."""

    def _assign_requests_to_connections(self) -> list[httpcore.AsyncConnectionInterface]:
        held = {id(r.connection) for r in self._requests if r.connection is not None}
        orphans = [
            c
            for c in self._connections
            if id(c) not in held and not c.is_idle() and not c.is_closed()
        ]
        for connection in orphans:
            self._connections.remove(connection)
        return orphans + super()._assign_requests_to_connections()


def service_transport(limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """httpx's transport on the pool above (the transport class stays httpx's own, so its
    instrumentation still sees every call)."""
    transport = httpx.AsyncHTTPTransport(limits=limits)
    transport._pool = _ReclaimingPool(
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
    )
    return transport


def _is_unavailable(exc: BaseException) -> bool:
    return isinstance(exc, AppError) and exc.code is ErrorCode.UNAVAILABLE


class ServiceClient:
    """Calls one service's internal API. Reads are retried; writes are not (the caller
    passes an Idempotency-Key when it wants to retry them safely).

    The pool survives cancelled calls (see `_ReclaimingPool`), and `timeout` bounds the wait
    for a free connection as well as connecting, writing and reading, so a full pool is
    answered UNAVAILABLE rather than waited on forever."""

    def __init__(
        self,
        service: str,
        base_url: str,
        token: str,
        timeout: float,
        *,
        max_connections: int = 100,
        max_keepalive_connections: int = 20,
    ) -> None:
        self.service = service
        self._timeout = timeout
        limits = httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max_keepalive_connections,
        )
        self._http = httpx.AsyncClient(
            base_url=base_url,
            headers={SERVICE_TOKEN_HEADER: token},
            timeout=httpx.Timeout(timeout),
            transport=service_transport(limits),
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(3),
            wait=wait_exponential_jitter(multiplier=0.05, max=0.5),
            retry=retry_if_exception(_is_unavailable),
            reraise=True,
        ):
            with attempt:
                return await self._send("GET", path, params=params)
        raise AssertionError("unreachable")

    async def post(
        self,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        time_limit: float | None = None,
    ) -> Any:
        """`time_limit` (seconds) overrides the client's for one long call (a survey import)."""
        extra: dict[str, Any] = {"timeout": time_limit} if time_limit is not None else {}
        return await self._send("POST", path, json=body, headers=headers, **extra)

    async def put(
        self, path: str, body: Any = None, *, headers: dict[str, str] | None = None
    ) -> Any:
        return await self._send("PUT", path, json=body, headers=headers)

    async def delete(self, path: str, *, headers: dict[str, str] | None = None) -> Any:
        return await self._send("DELETE", path, headers=headers)

    async def patch(
        self, path: str, body: Any = None, *, headers: dict[str, str] | None = None
    ) -> Any:
        return await self._send("PATCH", path, json=body, headers=headers)

    async def _send(self, method: str, path: str, **kwargs: Any) -> Any:
        timeout = kwargs.get("timeout", self._timeout)
        headers = {**(kwargs.pop("headers", None) or {}), DEADLINE_HEADER: budget_ms(timeout)}
        try:
            response = await self._http.request(method, path, headers=headers, **kwargs)
        except httpx.TimeoutException as exc:
            # The service stops short of committing once our deadline has passed; a commit
            # racing it is the only way this write happened: a retry with the same key is safe.
            raise AppError(
                ErrorCode.UNAVAILABLE,
                f"the {self.service} service did not answer in time; retry with the same "
                "Idempotency-Key",
                details={"retryable": True},
            ) from exc
        except httpx.TransportError as exc:
            raise AppError(
                ErrorCode.UNAVAILABLE,
                f"the {self.service} service is unavailable; retry",
                details={"retryable": True},
            ) from exc
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {"error": {"code": "INTERNAL", "message": response.text[:200]}}
            raise AppError.from_body(body)
        if not response.content:
            return None
        if "json" in response.headers.get("content-type", ""):
            return response.json()
        return response.text  # CSV and other plain bodies
