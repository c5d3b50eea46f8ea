"""A partnership's charts as SVG images, for its report and for any client:
GET /dashboard/partnerships/{id}/health.svg and .../contributions.svg. The caller is the
`Authorization: Bearer` token, or the dashboard's cookie; the partnership is read through the
schema in-process like the dashboard, so an image shows exactly what `partnership(id)` shows
that caller (another network's id: 404, as NOT_FOUND)."""

from __future__ import annotations

from collections.abc import Callable

import strawberry
from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.gateway.context import GatewayContext, bearer_token
from services.gateway.dashboard import COOKIE, charts, panels
from services.gateway.dashboard.queries import DashboardError, InProcessApi
from services.gateway.web.language import Pages
from shared.clock import Clock

PARTNERSHIP = """query DashboardPartnership($id: ID!) { partnership(id: $id) {
  id name health { score label } contributionTotals { kind unit quantity estimatedValue count }
  healthHistory { at score label } trend healthWarnings { at score summary } } }"""
STATUS = {"UNAUTHENTICATED": 401, "FORBIDDEN": 403, "NOT_FOUND": 404, "BAD_USER_INPUT": 404}
SVG_HEADERS = {
    # pygal writes an inline <style> (and a config <script> into other charts): styles apply,
    # scripts never run
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
}
ContextFor = Callable[[str, Request], GatewayContext]


def images_router(
    schema: strawberry.Schema, context_for: ContextFor, pages: Pages, clock: Clock
) -> APIRouter:
    """The charts' words are in the reader's language (the page's: `pages.language`)."""
    router = APIRouter(prefix="/dashboard/partnerships", include_in_schema=False)

    async def partnership(request: Request, ident: str) -> dict[str, object] | Response:
        token = bearer_token(request.headers.get("authorization")) or request.cookies.get(COOKIE)
        if not token:
            return Response("a token is required", status_code=401)
        api = InProcessApi(schema, lambda: context_for(token, request))
        try:
            found = (await api.data(PARTNERSHIP, {"id": ident}))["partnership"]
        except DashboardError as error:
            return Response(str(error), status_code=STATUS.get(error.code, 503))
        if not found:
            return Response("not found", status_code=404)
        return dict(found)

    def svg(body: str) -> Response:
        return Response(body, media_type="image/svg+xml", headers=SVG_HEADERS)

    @router.get("/{ident}/health.svg")
    async def health(request: Request, ident: str) -> Response:
        found = await partnership(request, ident)
        if isinstance(found, Response):
            return found
        health = panels.health_over_time(found, clock.now())
        return svg(charts.health_chart(health, language=pages.language(request)))

    @router.get("/{ident}/contributions.svg")
    async def contributions(request: Request, ident: str) -> Response:
        found = await partnership(request, ident)
        if isinstance(found, Response):
            return found
        kinds = panels.contributions_by_kind([found])
        return svg(charts.contributions_chart(kinds, language=pages.language(request)))

    return router
