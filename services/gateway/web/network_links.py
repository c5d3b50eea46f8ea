"""A coordinator's links with other networks: the list with each link's state, a proposal to
another network (by the ID its coordinator gives), and the steps on a link (accept or decline
one proposed to this network, end an active one or withdraw a proposal). The API decides who
may: another network's coordinator gets NOT_FOUND, a member FORBIDDEN, each a plain page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from services.gateway.web import network_queries as q
from services.gateway.web.actions import act, problem
from services.gateway.web.api import Doc, WebApi, not_found
from services.gateway.web.forms import Field, FormState
from services.gateway.web.render import page
from services.gateway.web.workspace import Workspace, form_page, submit
from shared.i18n import Text

HERE = "/app/network/links"
DONE = {
    "proposed": Text("Your proposal has been sent to the other network's coordinator"),
    "accept": Text("The link is active: your organizations that opted in can now meet theirs"),
    "decline": Text("The proposal has been declined"),
    "end": Text("The link has ended; partnerships formed across it remain"),
}
PROPOSE = [
    Field(
        "otherNetworkId",
        Text("The other network's ID"),
        hint=Text("Ask its coordinator: it is shown on their page of links"),
        api="otherNetworkId",
        missing=Text("Enter the other network's ID"),
    ),
    Field(
        "note",
        Text("A note for their coordinator (optional)"),
        "textarea",
        hint=Text("What your networks could do together"),
        required=False,
        api="note",
    ),
]
TITLE = Text("Propose a link to another network")


async def links_page(
    request: Request, api: WebApi, me: Doc, state: FormState, status: int = 200
) -> Response:
    network = (await api.read(q.LINKS, {"n": me["networkId"]}))["network"]
    return page(
        request,
        "network_links.html",
        status,
        network=network,
        links=network["links"] or [],
        title=Text("Links with other networks"),
        form=state,
        done=DONE.get(request.query_params.get("done", ""), ""),
    )


def links_router(ws: Workspace) -> APIRouter:
    router = APIRouter(prefix="/app", include_in_schema=False)

    @router.get("/network/links")
    async def links(request: Request) -> Response:
        async def draw(api: WebApi, me: Doc) -> Response:
            return await links_page(request, api, me, problem())

        return await ws.view(request, draw)

    @router.get("/network/links/new")
    async def new_link(request: Request) -> Response:
        async def draw(api: WebApi, me: Doc) -> Response:
            state = FormState(PROPOSE)
            return form_page(request, state, TITLE, HERE, template="link_propose.html")

        return await ws.view(request, draw)

    @router.post("/network/links/new")
    async def propose(request: Request) -> Response:
        async def draw(api: WebApi, me: Doc) -> Response:
            return await submit(
                request,
                api,
                PROPOSE,
                q.PROPOSE_LINK,
                lambda v: {"n": me["networkId"], "o": v["otherNetworkId"], "note": v["note"]},
                f"{HERE}?done=proposed",
                TITLE,
                HERE,
                template="link_propose.html",
                # an ID no network has is a typo of the person's: said beside the field
                beside=("BAD_USER_INPUT", "CONFLICT", "NOT_FOUND"),
            )

        return await ws.view(request, draw)

    @router.post("/network/links/{ident}/{step}")
    async def step(request: Request, ident: str, step: str) -> Response:
        async def draw(api: WebApi, me: Doc) -> Response:
            if step not in q.LINK_STEPS:
                raise not_found()

            async def again(state: FormState, status: int) -> Response:
                return await links_page(request, api, me, state, status)

            document, done = q.LINK_STEPS[step], f"{HERE}?done={step}"
            return await act(request, api, document, {"id": ident}, done, again)

        return await ws.view(request, draw)

    return router
