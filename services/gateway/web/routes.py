"""/app's routes: signing in and out (`session`), the home page of each kind of person, the
member's and the coordinator's pages, and the stylesheet (served by the gateway itself)."""

from __future__ import annotations

import strawberry
from fastapi import APIRouter, FastAPI, Request
from limits.storage import Storage
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from services.gateway.callers import CallerCache
from services.gateway.clients import ServiceClients
from services.gateway.web import queries as q
from services.gateway.web.api import ContextFor, Doc, WebApi
from services.gateway.web.coordinator import coordinator_router
from services.gateway.web.language import Pages
from services.gateway.web.member import edges, member_router
from services.gateway.web.network_links import links_router
from services.gateway.web.network_people import people_router
from services.gateway.web.profile import profile_router
from services.gateway.web.render import HERE, page
from services.gateway.web.session import LinkLimits, session_router
from services.gateway.web.switch import language_router
from services.gateway.web.updates import updates_router
from services.gateway.web.voice import VoiceLimits, voice_router
from services.gateway.web.words import DONE
from services.gateway.web.workspace import Workspace
from shared.clock import Clock
from shared.i18n import Catalogs, Text


def home_router(ws: Workspace) -> APIRouter:
    router = APIRouter(prefix="/app", include_in_schema=False)

    @router.get("")
    async def home(request: Request) -> Response:
        async def draw(api: WebApi, me: Doc) -> Response:
            found = await api.read(q.HOME, {"n": me["networkId"]})
            values: Doc = {
                "network": found["network"],
                "unread": found["unreadNotificationCount"] or 0,
                "done": DONE.get(request.query_params.get("done", ""), ""),
            }
            if me["role"] == "OPERATOR":
                needs = edges((await api.read(q.NEEDS, {"n": me["networkId"]}))["needs"])
                needs.sort(key=lambda n: (-n["severity"], n["title"]))
                return page(
                    request,
                    "home_coordinator.html",
                    needs=needs,
                    title=Text("Your network"),
                    **values,
                )
            org = (await api.read(q.ORGANIZATION, {"o": me["organizationId"]}))["organization"]
            matches = edges(org["matches"])
            return page(
                request,
                "home_member.html",
                org=org,
                title=org["name"],
                suggested=[m for m in matches if m["status"] == "SUGGESTED"],
                partnerships=edges(org["partnerships"]),
                **values,
            )

        return await ws.view(request, draw)

    return router


def mount_workspace(
    app: FastAPI,
    schema: strawberry.Schema,
    context_for: ContextFor,
    clients: ServiceClients,
    storage: Storage,
    callers: CallerCache,
    catalogs: Catalogs,
    clock: Clock,
) -> None:
    """The pages in every language of `catalogs`, and the stylesheet (served by the gateway:
    no CDN). `storage` is the shared rate-limit store (sign-in links are counted there)."""
    ws = Workspace(schema, context_for, clock)
    app.state.web_pages = Pages.of(HERE / "templates", catalogs)
    app.mount("/app/static", StaticFiles(directory=HERE / "static"), name="app-static")
    for router in (
        session_router(clients, LinkLimits.in_store(storage), callers, clock),
        home_router(ws),
        member_router(ws),
        coordinator_router(ws),
        links_router(ws),
        people_router(ws),
        profile_router(ws),
        language_router(ws),
        updates_router(ws),
        voice_router(clients, VoiceLimits.in_store(storage)),
    ):
        app.include_router(router)
