"""What keeps /app's forms safe: a double-submit CSRF token (a random value in an HttpOnly,
SameSite=Strict cookie that every form repeats in a hidden field; a form posted from
anywhere else lacks it), the Sec-Fetch-Site/Origin check the dashboard uses, and strict
headers: no script at all, nothing from another host, no framing, nothing cached."""

from __future__ import annotations

import hmac
import secrets

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from services.gateway.dashboard.routes import same_origin
from services.gateway.web import CSRF_COOKIE

CSRF_FIELD = "csrf"
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",  # no-referrer would make the form's Origin "null"
    "X-Content-Type-Options": "nosniff",
}


def csrf_token(request: Request) -> str:
    """The token forms on this page carry: the browser's cookie, or a new one (`keep_csrf`
    sets it on the response)."""
    found = request.cookies.get(CSRF_COOKIE)
    if found and len(found) >= 32:
        return found
    token: str | None = getattr(request.state, "csrf", None)
    if token is None:
        token = secrets.token_urlsafe(32)
        request.state.csrf = token
    return token


def keep_csrf(request: Request, response: Response) -> None:
    token = getattr(request.state, "csrf", None)
    if token is not None:
        response.set_cookie(
            CSRF_COOKIE,
            token,
            path="/app",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )


def csrf_ok(request: Request, form: FormData) -> bool:
    """The form came from one of our pages in this browser."""
    cookie = request.cookies.get(CSRF_COOKIE) or ""
    sent = form.get(CSRF_FIELD)
    return (
        same_origin(request)
        and len(cookie) >= 32
        and isinstance(sent, str)
        and hmac.compare_digest(cookie.encode(), sent.encode())
    )
