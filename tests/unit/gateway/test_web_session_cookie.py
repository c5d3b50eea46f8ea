"""/app's session cookie lives exactly as long as the session has left, by the wall clock the
gateway is given (a fixed one here: nothing sleeps)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response

from services.gateway.web.session import set_session
from shared.clock import Clock
from shared.contracts.sessions import Session

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def cookie_after(elapsed: timedelta) -> str:
    clock = Clock()
    clock.set(NOON + elapsed)
    session = Session(
        token="ses_1", expires_at=NOON + timedelta(hours=8), member_id="mem_1",
        network_id="net_1", role="ORG_ADMIN",
    )  # fmt: skip
    request = Request({"type": "http", "scheme": "https", "path": "/", "headers": []})
    response = Response()
    set_session(request, response, session, clock)
    return response.headers["set-cookie"]


def test_the_cookie_keeps_what_is_left_of_the_session_and_never_a_negative_age() -> None:
    assert "Max-Age=28800" in cookie_after(timedelta(0))
    assert "Max-Age=60" in cookie_after(timedelta(hours=7, minutes=59))
    assert "Max-Age=0" in cookie_after(timedelta(hours=9))
