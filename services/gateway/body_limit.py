"""A limit on the size of request bodies, as ASGI middleware in front of everything else.

A body up to `gateway_max_body_bytes` (about 1 MB) passes. A larger one passes only when it is
an `importSurvey` or `importDirectory` operation (the only operation of the request) sent with
a bearer token, up to `gateway_max_survey_bytes`. Anything else is refused with HTTP 413 and a
GraphQL-shaped error, `extensions.code = LIMIT_EXCEEDED`, whose message names the limit. A declared
`Content-Length` over the limit is refused before a byte of the body is read; a body without
one (chunked) is counted as it arrives."""

from __future__ import annotations

import json

from graphql import FieldNode, GraphQLError, OperationDefinitionNode, parse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import ErrorCode
from shared.settings import Settings
from shared.telemetry import current_trace_id

LARGE_OPERATIONS = ("importSurvey", "importDirectory")
LARGE_OPERATION = " or ".join(LARGE_OPERATIONS)


class BodyTooLarge(Exception):
    def __init__(self, limit: int, what: str) -> None:
        super().__init__(f"the request body is larger than the limit of {limit:,} bytes{what}")
        self.limit = limit


def is_large_operation(body: bytes) -> bool:
    """Whether a GraphQL-over-HTTP JSON body runs exactly one top-level field,
    `importSurvey` or `importDirectory`, in the operation it selects."""
    try:
        request = json.loads(body)
        query = request.get("query") if isinstance(request, dict) else None
        if not isinstance(query, str):
            return False
        document = parse(query)
    except (ValueError, GraphQLError):
        return False
    name = request.get("operationName")
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name:
        operations = [o for o in operations if o.name is not None and o.name.value == name]
    if len(operations) != 1 or operations[0].operation.value != "mutation":
        return False
    selections = operations[0].selection_set.selections
    return (
        len(selections) == 1
        and isinstance(selections[0], FieldNode)
        and selections[0].name.value in LARGE_OPERATIONS
    )


def _has_bearer(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            return bytes(value).lower().startswith(b"bearer ") and len(value.strip()) > 7
    return False


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodyLimit:
    def __init__(self, app: ASGIApp, max_body_bytes: int, max_survey_bytes: int) -> None:
        self.app = app
        self.max_body = max_body_bytes
        self.max_survey = max(max_survey_bytes, max_body_bytes)

    @staticmethod
    def options(settings: Settings) -> dict[str, int]:
        """`app.add_middleware(BodyLimit, **BodyLimit.options(settings))`"""
        return {
            "max_body_bytes": settings.gateway_max_body_bytes,
            "max_survey_bytes": settings.gateway_max_survey_bytes,
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared <= self.max_body:
            await self.app(scope, receive, send)  # the server stops at Content-Length
            return
        try:
            body, more = await self._read(scope, receive, declared)
        except BodyTooLarge as exc:
            await _refuse(send, exc)
            return
        if more is None:  # the client went away
            return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: only http.disconnect

        await self.app(scope, replay, send)

    async def _read(
        self, scope: Scope, receive: Receive, declared: int | None
    ) -> tuple[bytes, bool | None]:
        """The whole body, within the limit that applies to it; (b"", None) on disconnect."""
        limit = self.max_body
        if declared is not None and declared > self.max_body:
            self._check_may_be_large(scope)
            if declared > self.max_survey:
                raise BodyTooLarge(self.max_survey, f" ({LARGE_OPERATION})")
            limit = self.max_survey
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b"", None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                if limit == self.max_survey:
                    raise BodyTooLarge(self.max_survey, f" ({LARGE_OPERATION})")
                self._check_may_be_large(scope)
                limit = self.max_survey
                if size > limit:
                    raise BodyTooLarge(self.max_survey, f" ({LARGE_OPERATION})")
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if size > self.max_body and not is_large_operation(body):
            raise BodyTooLarge(self.max_body, f"; only {LARGE_OPERATION} may send more")
        return body, True

    def _check_may_be_large(self, scope: Scope) -> None:
        """Only a caller with a token is read past the general limit (the large operations
        need an operator's); anonymous large bodies are refused without reading them."""
        if not _has_bearer(scope) or scope.get("method") != "POST":
            raise BodyTooLarge(self.max_body, "")


async def _refuse(send: Send, exc: BodyTooLarge) -> None:
    body = json.dumps(
        {
            "data": None,
            "errors": [
                {
                    "message": str(exc),
                    "extensions": {"code": ErrorCode.LIMIT_EXCEEDED.value, "limit": exc.limit},
                }
            ],
            "extensions": {"traceId": current_trace_id()},
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
