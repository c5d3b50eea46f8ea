"""A partnership's updates log in /app: a partner's member posts progress, a setback or a win
(`postPartnershipUpdate`), and turns a win into a milestone with one button (`reachMilestone`
with the win's `updateId`: the milestone path every other milestone takes). The log and what
residents said on the community voice page are drawn on the partnership's page
(templates/partnership_voice.html)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from services.gateway.web import queries as q
from services.gateway.web.api import Doc, Refused, WebApi, not_found
from services.gateway.web.forms import Field, FormState
from services.gateway.web.member import edges, partnership_of
from services.gateway.web.render import see_other
from services.gateway.web.safety import csrf_ok
from services.gateway.web.session import csrf_refused
from services.gateway.web.workspace import Workspace, form_page, submit
from shared.i18n import Text

KINDS = (
    ("PROGRESS", Text("Progress: something moved forward")),
    ("SETBACK", Text("A setback: something got in the way")),
    ("WIN", Text("A win: something to celebrate")),
)
UPDATE = [
    Field(
        "kind",
        Text("What kind of update is it?"),
        "radios",
        options=KINDS,
        missing=Text("Select the kind"),
    ),
    Field(
        "text",
        Text("What happened?"),
        "textarea",
        hint=Text("Your partners see it at once and in their inbox"),
        missing=Text("Enter what happened"),
    ),
]
TITLE = Text("Post an update")
MILESTONE_TITLE_LENGTH = 200  # a milestone's title; a longer win keeps its words in the note


def milestone_of(update: Doc) -> Doc:
    """The milestone a win becomes: its words as the title (the whole text as the note when
    they do not fit)."""
    text = str(update["text"])
    if len(text) <= MILESTONE_TITLE_LENGTH:
        return {"title": text, "note": ""}
    return {"title": text[: MILESTONE_TITLE_LENGTH - 1].rstrip() + "…", "note": text}


def updates_router(ws: Workspace) -> APIRouter:
    router = APIRouter(prefix="/app", include_in_schema=False)

    @router.get("/partnerships/{ident}/updates")
    async def show(request: Request, ident: str) -> Response:
        async def draw(api: WebApi, me: Doc) -> Response:
            p = await partnership_of(api, ident)
            return form_page(
                request, FormState(UPDATE), TITLE, f"/app/partnerships/{ident}", caption=p["name"]
            )

        return await ws.view(request, draw)

    @router.post("/partnerships/{ident}/updates")
    async def post(request: Request, ident: str) -> Response:
        async def draw(api: WebApi, me: Doc) -> Response:
            p = await partnership_of(api, ident)
            back = f"/app/partnerships/{ident}"
            return await submit(
                request,
                api,
                UPDATE,
                q.POST_UPDATE,
                lambda v: {"i": {"partnershipId": ident, "kind": v["kind"], "text": v["text"]}},
                f"{back}?done=updates#updates",
                TITLE,
                back,
                caption=p["name"],
            )

        return await ws.view(request, draw)

    @router.post("/partnerships/{ident}/updates/{update_id}/milestone")
    async def to_milestone(request: Request, ident: str, update_id: str) -> Response:
        async def draw(api: WebApi, me: Doc) -> Response:
            form = await request.form()
            if not csrf_ok(request, form):
                return csrf_refused(request)
            found = (await api.read(q.UPDATES, {"id": ident}))["partnership"]
            if not found:
                raise not_found()
            update = next((u for u in edges(found["updates"]) if u["id"] == update_id), None)
            if update is None or update["kind"] != "WIN":
                raise not_found()
            done = f"/app/partnerships/{ident}?done=milestones#updates"
            if update["milestoneId"]:
                return see_other(done)  # already one (another partner pressed it first)
            variables = {
                "i": {"partnershipId": ident, "updateId": update_id, **milestone_of(update)}
            }
            # one key per win: pressing twice records one milestone
            outcome = await api.run(q.MILESTONE, variables, f"milestone-from-{update_id}")
            if outcome.errors and outcome.code != "CONFLICT":
                raise Refused(outcome.errors[0])
            return see_other(done)

        return await ws.view(request, draw)

    return router
