"""Internal HTTP between the gateway, the CLI and the services: the service token, the error
model on the wire, and a client that maps failures back to `AppError`."""

from __future__ import annotations

import hmac
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from shared.errors import AppError, ErrorCode, field_path

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

    app.add_exception_handler(AppError, on_app_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)


def _is_unavailable(exc: BaseException) -> bool:
    return isinstance(exc, AppError) and exc.code is ErrorCode.UNAVAILABLE


class ServiceClient:
    """Calls one service's internal API. Reads are retried; writes are not (the caller
    passes an Idempotency-Key when it wants to retry them safely)."""

    def __init__(self, service: str, base_url: str, token: str, timeout: float) -> None:
        self.service = service
        self._http = httpx.AsyncClient(
            base_url=base_url, headers={SERVICE_TOKEN_HEADER: token}, timeout=timeout
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(3),
            wait=wait_exponential_jitter(initial=0.05, max=0.5),
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

    async def _send(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise AppError(
                ErrorCode.UNAVAILABLE, f"the {self.service} service is unavailable; retry"
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
