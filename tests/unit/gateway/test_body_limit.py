"""The gateway's request body limit, in process: the ASGI middleware in front of an app that
echoes the size of the body it got."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.types import Message, Receive, Scope, Send

from services.gateway.body_limit import BodyLimit, is_large_operation

LIMIT = 1_000
SURVEY_LIMIT = 10_000
IMPORT = (
    "mutation I($n: ID!, $csv: String!) { importSurvey(networkId: $n, csv: $csv) { rowsImported } }"
)

DIRECTORY = "mutation($n: ID!, $f: String!) { importDirectory(networkId: $n, file: $f) { offers } }"


async def echo(scope: Scope, receive: Receive, send: Send) -> None:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": json.dumps({"got": len(body)}).encode()})


def graphql_body(query: str, pad: int, **extra: Any) -> bytes:
    return json.dumps({"query": query, "variables": {"csv": "x" * pad}, **extra}).encode()


async def call(
    body: bytes,
    *,
    token: bool = False,
    declare_length: bool = True,
    chunk: int | None = None,
    method: str = "POST",
) -> tuple[int, dict[str, Any]]:
    headers = [(b"content-type", b"application/json")]
    if declare_length:
        headers.append((b"content-length", str(len(body)).encode()))
    if token:
        headers.append((b"authorization", b"Bearer op-token"))
    scope: Scope = {"type": "http", "method": method, "path": "/graphql", "headers": headers}
    size = chunk or max(len(body), 1)
    parts = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
    messages: list[Message] = [
        {"type": "http.request", "body": p, "more_body": i < len(parts) - 1}
        for i, p in enumerate(parts)
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await BodyLimit(echo, LIMIT, SURVEY_LIMIT)(scope, receive, send)
    status = sent[0]["status"]
    return status, json.loads(b"".join(m.get("body", b"") for m in sent[1:]))


def refusal(answer: dict[str, Any]) -> tuple[str, str]:
    error = answer["errors"][0]
    assert answer["data"] is None
    return error["extensions"]["code"], error["message"]


@pytest.mark.parametrize("declare_length", [True, False])
async def test_a_body_within_the_limit_passes_whole(declare_length: bool) -> None:
    body = graphql_body("{ me { role } }", 500)
    assert await call(body, declare_length=declare_length, chunk=100) == (200, {"got": len(body)})


@pytest.mark.parametrize("declare_length", [True, False])
async def test_a_larger_body_is_limit_exceeded_naming_the_limit(declare_length: bool) -> None:
    body = graphql_body('mutation { register(name: "x") { id } }', 5_000)
    status, answer = await call(body, token=True, declare_length=declare_length, chunk=700)
    assert status == 413
    code, message = refusal(answer)
    assert code == "LIMIT_EXCEEDED"
    assert "1,000 bytes" in message and "importSurvey" in message
    assert answer["errors"][0]["extensions"]["limit"] == LIMIT


@pytest.mark.parametrize("declare_length", [True, False])
async def test_import_survey_has_its_own_larger_limit(declare_length: bool) -> None:
    body = graphql_body(IMPORT, 5_000, operationName="I")
    assert await call(body, token=True, declare_length=declare_length, chunk=700) == (
        200,
        {"got": len(body)},
    )
    too_large = graphql_body(IMPORT, 20_000)
    status, answer = await call(too_large, token=True, declare_length=declare_length, chunk=700)
    assert status == 413
    code, message = refusal(answer)
    assert code == "LIMIT_EXCEEDED" and "10,000 bytes" in message


async def test_a_large_body_without_a_token_is_refused_unread() -> None:
    status, answer = await call(graphql_body(IMPORT, 5_000))
    assert status == 413
    assert refusal(answer) == (
        "LIMIT_EXCEEDED",
        "the request body is larger than the limit of 1,000 bytes",
    )


@pytest.mark.parametrize(
    ("body", "large"),
    [
        ({"query": IMPORT}, True),
        ({"query": IMPORT, "operationName": "I"}, True),
        ({"query": IMPORT.replace("importSurvey(", "s: importSurvey(")}, True),  # an alias
        ({"query": IMPORT, "operationName": "Other"}, False),
        # importSurvey beside another field: the general limit applies
        ({"query": IMPORT.replace("{ rowsImported } }", "{ rowsImported } other }")}, False),
        ({"query": "query { importSurvey }"}, False),
        ({"query": DIRECTORY}, True),  # a directory's zip is as large
        ({"query": "mutation { importDirectory importSurvey }"}, False),
        ({"query": "mutation A { importSurvey } mutation B { x }"}, False),  # which one?
        ({"query": "not graphql"}, False),
        ([{"query": IMPORT}], False),
        ({"query": 3}, False),
    ],
)
def test_what_counts_as_an_import_survey_request(body: Any, large: bool) -> None:
    assert is_large_operation(json.dumps(body).encode()) is large
    assert not is_large_operation(b"\xff not json")


async def test_other_connections_pass_untouched() -> None:
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    async def nothing() -> Message:
        raise AssertionError("not read")

    async def ignore(_: Message) -> None:
        pass

    for kind in ("websocket", "lifespan"):
        await BodyLimit(app, LIMIT, SURVEY_LIMIT)({"type": kind}, nothing, ignore)
    assert seen == ["websocket", "lifespan"]


def test_the_gateway_app_sits_behind_the_limit() -> None:
    from services.gateway.app import create_app
    from shared.settings import Settings

    settings = Settings(_env_file=None, telemetry_exporter="off", gateway_max_body_bytes=123)
    app = create_app(settings)
    [limit] = [m for m in app.user_middleware if m.cls is BodyLimit]
    assert limit.kwargs["max_body_bytes"] == 123
