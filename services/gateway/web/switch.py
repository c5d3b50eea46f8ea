"""The language switch on every page: a plain form (no script) that keeps the choice in a
cookie and, for a signed-in member, in their `language` preference, which the notifications
service writes to them in."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from services.gateway.web import SESSION_COOKIE
from services.gateway.web import queries as q
from services.gateway.web.api import Refused
from services.gateway.web.language import local_path, remember
from services.gateway.web.render import pages_of, see_other
from services.gateway.web.safety import csrf_ok
from services.gateway.web.session import csrf_refused
from services.gateway.web.workspace import NotSignedIn, Workspace


def language_router(ws: Workspace) -> APIRouter:
    router = APIRouter(prefix="/app", include_in_schema=False)

    @router.post("/language")
    async def choose(request: Request) -> Response:
        form = await request.form()
        if not csrf_ok(request, form):
            return csrf_refused(request)
        code = str(form.get("language") or "")
        response = see_other(local_path(str(form.get("back") or "/app")))
        if not pages_of(request).catalogs.knows(code):
            return response  # a language the product does not speak: nothing changes
        remember(request, response, code)
        if request.cookies.get(SESSION_COOKIE):
            try:
                api = await ws.api(request)
            except (NotSignedIn, Refused):
                return response
            # the page follows the cookie whatever happens here; the emails follow this
            await api.run(q.UPDATE_PREFERENCES, {"i": {"language": code}})
        return response

    return router
