"""A coordinator's view of the people in the network: an organization's members, with a button
removing one (every session of theirs ends at once; the API keeps an organization's last
admin), and the introductions the coordinator made, with each one's state. Another network's
organization answers the plain not-found page, as the API does."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from services.gateway.web import network_queries as q
from services.gateway.web.actions import act, problem
from services.gateway.web.api import Doc, WebApi, not_found
from services.gateway.web.forms import FormState
from services.gateway.web.member import edges
from services.gateway.web.render import page
from services.gateway.web.workspace import Workspace
from shared.i18n import Text


def introductions_of(organizations: list[Doc]) -> list[Doc]:
    """The matches a coordinator made (each seen from both organizations once), newest first."""
    found = {
        match["id"]: match
        for organization in organizations
        for match in edges(organization["matches"])
        if match["introducedBy"]
    }
    return sorted(found.values(), key=lambda m: str(m["createdAt"]), reverse=True)


async def members_page(
    request: Request, api: WebApi, me: Doc, ident: str, state: FormState, status: int = 200
) -> Response:
    found = (await api.read(q.MEMBERS, {"o": ident}))["organization"]
    if not found or found["networkId"] != me["networkId"]:  # a linked network's: not here
        raise not_found()
    return page(
        request,
        "network_members.html",
        status,
        organization=found,
        members=found["members"] or [],
        title=found["name"],
        form=state,
        done=request.query_params.get("done") == "removed",
    )


def people_router(ws: Workspace) -> APIRouter:
    router = APIRouter(prefix="/app", include_in_schema=False)

    @router.get("/network/organizations/{ident}")
    async def members(request: Request, ident: str) -> Response:
        async def draw(api: WebApi, me: Doc) -> Response:
            return await members_page(request, api, me, ident, problem())

        return await ws.view(request, draw)

    @router.post("/network/organizations/{ident}/members/{member}/remove")
    async def remove(request: Request, ident: str, member: str) -> Response:
        async def draw(api: WebApi, me: Doc) -> Response:
            async def again(state: FormState, status: int) -> Response:
                return await members_page(request, api, me, ident, state, status)

            here = f"/app/network/organizations/{ident}"
            variables = {"o": ident, "m": member}
            return await act(
                request, api, q.REMOVE_MEMBER, variables, f"{here}?done=removed", again
            )

        return await ws.view(request, draw)

    @router.get("/introductions")
    async def introductions(request: Request) -> Response:
        async def draw(api: WebApi, me: Doc) -> Response:
            found = await api.read(q.INTRODUCTIONS, {"n": me["networkId"]})
            return page(
                request,
                "introductions.html",
                introductions=introductions_of(edges(found["organizations"])),
                title=Text("Introductions you made"),
            )

        return await ws.view(request, draw)

    return router
