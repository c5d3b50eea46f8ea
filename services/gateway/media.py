"""GraphQL over HTTP (the GraphQL Foundation's spec): `application/graphql-response+json`
when the client's Accept prefers it, with the spec's status codes. A request error (the
document does not parse or validate, or is refused before it runs) has no `data` and a 4xx
or 5xx status; an operation that ran answers 200 even with errors. Clients that ask for
`application/json` (or nothing) keep the old behaviour: 200 with `data`."""

from __future__ import annotations

from typing import Any

from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError

from shared.errors import ErrorCode

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"

# request errors refused before execution that have a more precise status than 400
REQUEST_ERROR_STATUS = {
    ErrorCode.UNAUTHENTICATED.value: 401,
    ErrorCode.UNAVAILABLE.value: 503,
}


def _weights(accept: str) -> dict[str, float]:
    weights: dict[str, float] = {}
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        media = media.lower()
        weights[media] = max(weights.get(media, 0.0), weight)
    return weights


def prefers_graphql_response(accept: str | None) -> bool:
    """Whether Accept names `application/graphql-response+json`, at least as preferred as
    `application/json`. No Accept header means `application/json` (the spec's legacy rule)."""
    if not accept:
        return False
    weights = _weights(accept)
    wanted = weights.get(GRAPHQL_RESPONSE, 0.0)
    return wanted > 0 and wanted >= weights.get(JSON, 0.0)


def is_request_error(result: ExecutionResult) -> bool:
    return isinstance(result, PreExecutionError)


def graphql_response(
    result: ExecutionResult, response: GraphQLHTTPResponse
) -> tuple[int, GraphQLHTTPResponse]:
    """The status and body under `application/graphql-response+json`."""
    if not is_request_error(result):
        return 200, response
    body: GraphQLHTTPResponse = {k: v for k, v in response.items() if k != "data"}  # type: ignore[assignment]
    errors: list[dict[str, Any]] = list(response.get("errors") or [])  # type: ignore[arg-type]
    codes = [(e.get("extensions") or {}).get("code") for e in errors]
    status = next((REQUEST_ERROR_STATUS[c] for c in codes if c in REQUEST_ERROR_STATUS), 400)
    return status, body
