"""GET /dashboard: a coordinator's view of the network, rendered on the server from the
caller's own GraphQL answers (`queries.py`), with charts drawn by `charts.py`.

Signing in: a form posts the token once; it is kept in an HttpOnly, SameSite=Strict cookie
scoped to /dashboard, so no script can read it, no other site's page can send it, and
POST /graphql never reads it (GraphQL takes the Authorization header only): the cookie opens
this read-only page and nothing else. The pages carry no script at all (CSP `script-src
'none'`), sign-in and sign-out are refused from another origin, and nothing is cached."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import strawberry
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from services.gateway.context import GatewayContext
from services.gateway.dashboard import COOKIE, charts, panels
from services.gateway.dashboard.images import images_router
from services.gateway.dashboard.queries import (
    PARTNERSHIP,
    DashboardError,
    InProcessApi,
    Snapshot,
    is_signed_out,
    load,
)
from services.gateway.web import SESSION_COOKIE
from services.gateway.web.language import Pages
from shared.clock import Clock
from shared.i18n import Catalogs, Language, Text

SIGNED_OUT = Text("That token no longer works; sign in again.")

HERE = Path(__file__).parent
# a partnership the caller may not see: the same plain page whether it is missing or not theirs
HIDDEN = {"FORBIDDEN": 403, "NOT_FOUND": 404, "BAD_USER_INPUT": 404}
SESSION_SECONDS = 8 * 3600
STATIC_PATH = "/dashboard/static"
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",  # no-referrer would make the form's Origin "null"
    "X-Content-Type-Options": "nosniff",
}
ContextFor = Callable[[str, Request], GatewayContext]


def same_origin(request: Request) -> bool:
    """A form post from this gateway's own page: browsers say where a request comes from in
    Sec-Fetch-Site (or, older ones, Origin); a client that is no browser sends neither."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    return origin is None or origin == f"{request.url.scheme}://{request.url.netloc}"


def status_of(error: DashboardError) -> int:
    """The HTTP status of a failure other than a signed-out token: too many requests, or the
    stack not answering (retry)."""
    return 429 if error.code == "LIMIT_EXCEEDED" else 503


def view(snapshot: Snapshot, now: datetime, language: Language) -> dict[str, Any]:
    """The template's values: the panels' figures and their charts, in the reader's
    language."""
    areas = panels.needs_by_area(snapshot.needs)
    overdue, soon = panels.commitments_due(snapshot.partnerships, now)
    kinds = panels.contributions_by_kind(snapshot.partnerships)
    health = panels.health_rows(snapshot.partnerships, now.date())
    return {
        "s": snapshot,
        "areas": areas,
        "needs_chart": (
            charts.svg_data_url(charts.needs_chart(areas, language=language)) if areas else None
        ),
        "unmatched": panels.unmatched_needs(snapshot.needs, snapshot.partnerships),
        "overdue": overdue,
        "soon": soon,
        "due_days": panels.DUE_SOON_DAYS,
        "kinds": kinds,
        "kinds_chart": charts.svg_data_url(charts.contributions_chart(kinds, language=language)),
        "health": health,
        "sparklines": {h.id: charts.svg_data_url(charts.sparkline(h.points)) for h in health},
        "severities": panels.SEVERITIES,
        "now": now,
    }


def partnership_view(found: dict[str, Any], now: datetime, language: Language) -> dict[str, Any]:
    """The partnership page's values: its health over time as a chart and in words."""
    health = panels.health_over_time(found, now)
    return {
        "p": found,
        "h": health,
        "chart": charts.svg_data_url(charts.health_chart(health, language=language)),
        "alt": charts.health_alt(health, language),
    }


def dashboard_router(
    schema: strawberry.Schema, context_for: ContextFor, pages: Pages, clock: Clock
) -> APIRouter:
    router = APIRouter(prefix="/dashboard", include_in_schema=False)

    def page(request: Request, name: str, status: int = 200, **values: Any) -> HTMLResponse:
        templates, _ = pages.for_request(request)
        response = templates.TemplateResponse(request, name, values, status_code=status)
        response.headers.update(HEADERS)
        return response

    def sign_in_page(request: Request, error: Text | str = "", status: int = 200) -> HTMLResponse:
        response = page(request, "sign_in.html", status, error=error)
        if request.cookies.get(COOKIE):
            response.delete_cookie(COOKIE, path="/dashboard")
        return response

    def api(token: str, request: Request) -> InProcessApi:
        return InProcessApi(schema, lambda: context_for(token, request))

    @router.get("", response_class=HTMLResponse)
    async def dashboard(request: Request) -> Response:
        # a pasted token, else the session of /app's sign-in link (the same rights)
        token = request.cookies.get(COOKIE) or request.cookies.get(SESSION_COOKIE)
        if not token:
            return sign_in_page(request)
        try:
            snapshot = await load(api(token, request))
        except DashboardError as error:
            if is_signed_out(error):
                return sign_in_page(request, SIGNED_OUT, 401)
            return page(request, "unavailable.html", status_of(error), error=error)
        # drawing the charts takes a few milliseconds each: off the event loop
        language = pages.language(request)
        values = await asyncio.to_thread(view, snapshot, clock.now(), language)
        return page(request, "dashboard.html", **values)

    @router.get("/partnerships/{ident}", response_class=HTMLResponse)
    async def partnership(request: Request, ident: str) -> Response:
        token = request.cookies.get(COOKIE)
        if not token:
            return sign_in_page(request)
        try:
            found = (await api(token, request).data(PARTNERSHIP, {"id": ident}))["partnership"]
        except DashboardError as error:
            if is_signed_out(error):
                return sign_in_page(request, SIGNED_OUT, 401)
            if error.code in HIDDEN:
                return page(request, "not_found.html", HIDDEN[error.code])
            return page(request, "unavailable.html", status_of(error), error=error)
        if not found:
            return page(request, "not_found.html", 404)
        language = pages.language(request)
        values = await asyncio.to_thread(partnership_view, found, clock.now(), language)
        return page(request, "partnership.html", **values)

    @router.post("/sign-in")
    async def sign_in(request: Request) -> Response:
        if not same_origin(request):
            return Response("cross-origin sign-in refused", status_code=403)
        form = await request.form()
        token = str(form.get("token") or "").strip()
        if not token:
            return sign_in_page(request, Text("Paste a token first."), 400)
        try:
            me = (await api(token, request).data("{ me { memberId } }"))["me"]
        except DashboardError as error:
            status = 401 if is_signed_out(error) else status_of(error)
            return page(
                request,
                "sign_in.html",
                status,
                error=Text("Not signed in: %(why)s", why=str(error)),
            )
        if not me:
            return sign_in_page(request, Text("Not signed in: unknown token."), 401)
        response = RedirectResponse("/dashboard", status_code=303)
        response.set_cookie(
            COOKIE,
            token,
            max_age=SESSION_SECONDS,
            path="/dashboard",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    @router.post("/sign-out")
    async def sign_out(request: Request) -> Response:
        if not same_origin(request):
            return Response("cross-origin sign-out refused", status_code=403)
        response = RedirectResponse("/dashboard", status_code=303)
        response.delete_cookie(COOKIE, path="/dashboard")
        return response

    return router


def mount_dashboard(
    app: FastAPI,
    schema: strawberry.Schema,
    context_for: ContextFor,
    catalogs: Catalogs,
    clock: Clock,
) -> None:
    """The pages in every language of `catalogs` (the one /app's switch chose, else the
    browser's), a partnership's chart images, and the stylesheet (served by the gateway
    itself: no CDN)."""
    pages = Pages.of(HERE / "templates", catalogs)
    app.mount(STATIC_PATH, StaticFiles(directory=HERE / "static"), name="dashboard-static")
    app.include_router(dashboard_router(schema, context_for, pages, clock))
    app.include_router(images_router(schema, context_for, pages, clock))
