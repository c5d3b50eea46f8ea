"""Internal HTTP between the gateway, the CLI and the services: the service token, the error
model on the wire, and a client that maps failures back to `AppError`."""

from __future__ import annotations

import functools
import hmac
import logging
import ssl
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import httpcore
import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, JsonValue, TypeAdapter, ValidationError
from pymongo.errors import PyMongoError
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from shared.deadline import DEADLINE_HEADER, budget_ms
from shared.disk import may_write
from shared.errors import STORE_UNAVAILABLE, AppError, ErrorCode, field_path, retry_later
from shared.mongo import write_not_applied

log = logging.getLogger(__name__)
SERVICE_TOKEN_HEADER = "X-Service-Token"
IDEMPOTENCY_HEADER = "Idempotency-Key"
A = TypeVar("A")
M = TypeVar("M", bound=BaseModel)
# A query string's values, and the headers of one call (the caller's idempotency key).
Params = Mapping[str, str | int | float | bool | None]
Headers = Mapping[str, str] | None


MAX_BATCH_IDS = 100


def batch_ids(ids: str) -> list[str]:
    """The ids of a batch route's `?ids=a,b,c` (what the gateway's DataLoaders send)."""
    return [i for i in ids.split(",") if i][:MAX_BATCH_IDS]


def bad_input_of(errors: Sequence[Mapping[str, Any]], sources: tuple[str, ...] = ()) -> AppError:
    """BAD_USER_INPUT naming the first failing field (`input.offers[2].quantity`), every
    failure in `details.errors`. `sources` are location prefixes that name where the value
    came from (FastAPI's "body", "query"), not a field."""
    first = errors[0] if errors else {"loc": (), "msg": "invalid input"}
    loc = [p for p in first["loc"] if p not in sources]
    return AppError(
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


def validated(model: type[M], data: Mapping[str, object]) -> M:
    """A request model built on the calling side: BAD_USER_INPUT naming the field when `data`
    does not fit, as the service itself would answer."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise bad_input_of(exc.errors()) from None


def token_matches(presented: str | None, expected: str) -> bool:
    return presented is not None and hmac.compare_digest(presented.encode(), expected.encode())


def install_error_handlers(app: FastAPI) -> None:
    async def on_app_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AppError)
        return JSONResponse(exc.to_body(), status_code=exc.http_status)

    async def on_validation_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        error = bad_input_of(exc.errors(), ("body", "query", "path"))
        return JSONResponse(error.to_body(), status_code=error.http_status)

    async def on_store_error(request: Request, exc: Exception) -> JSONResponse:
        # A store failure that wrote nothing (or a read) is UNAVAILABLE and retryable, not
        # INTERNAL: the caller's retry with the same Idempotency-Key is safe.
        assert isinstance(exc, PyMongoError)
        if may_write(request.method, request.url.path) and not write_not_applied(exc):
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


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context (httpx's: certifi's CAs) per process. httpx builds a new one for every
    client and every module-level call, parsing the CA bundle: 22 ms of CPU, which a client
    made per call (the runner's readiness polls, a CLI's call) paid each time, on plain HTTP
    too. A context is safe to share between threads and event loops."""
    return httpx.create_ssl_context()


def service_transport(limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """httpx's transport on the pool above (the transport class stays httpx's own, so its
    instrumentation still sees every call)."""
    transport = httpx.AsyncHTTPTransport(limits=limits, verify=tls_context())
    transport._pool = _ReclaimingPool(
        ssl_context=tls_context(),
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
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """`transport` replaces the pooled one (a service's routes in process, in tests)."""
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
            transport=transport or service_transport(limits),
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def get(self, path: str, answer: type[A], params: Params | None = None) -> A:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(3),
            wait=wait_exponential_jitter(multiplier=0.05, max=0.5),
            retry=retry_if_exception(_is_unavailable),
            reraise=True,
        ):
            with attempt:
                query = {k: v for k, v in (params or {}).items() if v is not None}
                return _read(answer, await self._send("GET", path, params=query))
        raise AssertionError("unreachable")

    async def post(
        self,
        path: str,
        answer: type[A],
        body: BaseModel | None = None,
        *,
        headers: Headers = None,
        time_limit: float | None = None,
    ) -> A:
        """`time_limit` (seconds) overrides the client's for one long call (a survey import)."""
        extra: dict[str, float] = {"timeout": time_limit} if time_limit is not None else {}
        found = await self._send("POST", path, json=_json(body), headers=headers, **extra)
        return _read(answer, found)

    async def put(
        self, path: str, answer: type[A], body: BaseModel | None = None, *, headers: Headers = None
    ) -> A:
        return _read(answer, await self._send("PUT", path, json=_json(body), headers=headers))

    async def delete(self, path: str, answer: type[A], *, headers: Headers = None) -> A:
        return _read(answer, await self._send("DELETE", path, headers=headers))

    async def patch(
        self, path: str, answer: type[A], body: BaseModel | None = None, *, headers: Headers = None
    ) -> A:
        return _read(answer, await self._send("PATCH", path, json=_json(body), headers=headers))

    async def _send(self, method: str, path: str, **kwargs: Any) -> JsonValue:
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
                body = None
            if isinstance(body, dict) and isinstance(body.get("error"), dict):
                raise AppError.from_body(body)
            # Not the error model: a route this service does not have (the clock, where
            # clock control is off) or a proxy's page.
            code = ErrorCode.NOT_FOUND if response.status_code == 404 else ErrorCode.INTERNAL
            raise AppError(
                code,
                f"{method} {path}: HTTP {response.status_code} from {self.service}",
                # a body that says why (a readiness answer's dependencies) goes along
                details={"body": body} if isinstance(body, dict) else None,
            )
        if not response.content:
            return None
        if "json" in response.headers.get("content-type", ""):
            found: JsonValue = response.json()
            return found
        return response.text  # CSV and other plain bodies


def _json(body: BaseModel | None) -> JsonValue:
    """A request model as the JSON the route reads (by field name, or by alias where the
    model's config says so). Only the fields set are sent: the route applies the same
    defaults, and a partial update (preferences) tells a field left out from a null."""
    return None if body is None else body.model_dump(mode="json", exclude_unset=True)


_ADAPTERS: dict[object, TypeAdapter[Any]] = {}


def _adapter(answer: type[A]) -> TypeAdapter[A]:
    """One adapter per answer type (building one costs more than a call's validation)."""
    if answer not in _ADAPTERS:
        _ADAPTERS[answer] = TypeAdapter(answer)
    adapter: TypeAdapter[A] = _ADAPTERS[answer]
    return adapter


def _read(answer: type[A], found: JsonValue) -> A:
    """The service's answer as its contract type. An answer that does not fit is the
    service's fault, not the caller's: INTERNAL, never a validation error of the caller's
    input."""
    try:
        return _adapter(answer).validate_python(found)
    except ValidationError as exc:
        log.error("an internal answer does not fit %s: %s", answer, exc)
        raise AppError(ErrorCode.INTERNAL, "a service answered out of contract") from exc
