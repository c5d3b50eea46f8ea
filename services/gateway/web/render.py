"""Drawing a page: the template in the reader's language (`language`) with the CSRF token and
the signed-in caller, sent with the strict headers (no script, nothing from another host,
nothing cached)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from services.gateway.web.language import Pages
from services.gateway.web.safety import HEADERS, csrf_token, keep_csrf
from shared.i18n import Text

HERE = Path(__file__).parent
STATIC = "/app/static"
GONE = {
    "FORBIDDEN": (403, Text("You cannot open this page")),
    "NOT_FOUND": (404, Text("Page not found")),
}


def pages_of(request: Request) -> Pages:
    pages: Pages = request.app.state.web_pages  # set by mount_workspace
    return pages


def page(request: Request, name: str, status: int = 200, **values: Any) -> HTMLResponse:
    templates, _ = pages_of(request).for_request(request)
    values.setdefault("me", getattr(request.state, "me", None))
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    response = templates.TemplateResponse(
        request,
        name,
        {**values, "csrf": csrf_token(request), "here": here, "STATIC": STATIC},
        status_code=status,
    )
    response.headers.update(HEADERS)
    keep_csrf(request, response)
    return response


def refused(request: Request, code: str, message: str = "") -> HTMLResponse:
    """The page for a refused read or write: not found and forbidden say nothing about what
    was asked for; too many requests and an unavailable stack say to try again."""
    if code in GONE:
        status, title = GONE[code]
        return page(request, "gone.html", status, title=title, code=code)
    status = 429 if code == "LIMIT_EXCEEDED" else 503
    return page(
        request, "unavailable.html", status, title=Text("Sorry, try again"), message=message
    )


def see_other(url: str) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    response.headers.update(HEADERS)
    return response
