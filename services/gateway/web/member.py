"""An organization's pages: its suggested partners (accept or decline with a reason), its
partnerships (commitments made, proposed, answered and closed; check-ins, milestones,
contributions, feedback) and its inbox."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from services.gateway.web import queries as q
from services.gateway.web.api import Doc, Refused, WebApi, not_found
from services.gateway.web.forms import Field, FormState, end_of_day, noon
from services.gateway.web.render import page, see_other
from services.gateway.web.safety import csrf_ok
from services.gateway.web.session import csrf_refused
from services.gateway.web.words import DONE
from services.gateway.web.workspace import Workspace, form_page, submit
from shared.i18n import Text

DECISION = Field(
    "decision",
    Text("Do you want to work with them?"),
    "radios",
    options=(("ACCEPT", Text("Yes, accept")), ("DECLINE", Text("No, decline"))),
    api="decision",
    missing=Text("Select yes if you want to work with them, or no"),
)
REASON = Field("reason", Text("Why? (optional)"), "textarea", required=False, api="reason")
NOTE = Field(
    "note", Text("A note for your partners (optional)"), "textarea", required=False, api="note"
)
CLOSE = Field(
    "status",
    Text("How did it go?"),
    "radios",
    options=(
        ("DONE", Text("Kept: it was done")),
        ("MISSED", Text("Missed")),
        ("CANCELLED", Text("Cancelled")),
    ),
    api="status",
    missing=Text("Select how it went"),
)
ANSWER = Field(
    "decision",
    Text("Will your organization take this on?"),
    "radios",
    options=(("ACCEPT", Text("Yes, accept")), ("DECLINE", Text("No, decline"))),
    missing=Text("Select yes if your organization will take this on, or no"),
)
CHECK_IN = [
    Field(
        "heldAt",
        Text("Date of the check-in"),
        "date",
        hint=Text("For example, 2026-03-31"),
        missing=Text("Enter the date of the check-in"),
    ),
    Field(
        "attendees", Text("Who attended"), "lines", hint=Text("One name per line"), required=False
    ),
    Field("updates", Text("Updates"), "lines", hint=Text("One per line"), required=False),
    Field("wins", Text("Wins"), "lines", hint=Text("One per line"), required=False),
    Field("blockers", Text("Blockers"), "lines", hint=Text("One per line"), required=False),
]
MILESTONE = [
    Field("title", Text("Milestone"), missing=Text("Enter the milestone")),
    Field("note", Text("Note"), "textarea", required=False),
]
KINDS = (
    ("VOLUNTEER_HOURS", Text("Volunteer hours")),
    ("MATERIALS", Text("Goods and materials")),
    ("SERVICES", Text("Space and services")),
    ("FUNDS", Text("Funds")),
)
FEEDBACK = [
    Field(
        "rating",
        Text("How well is the partnership working?"),
        "radios",
        hint=Text("1 is poorly, 5 is very well"),
        options=tuple((str(n), str(n)) for n in range(1, 6)),
        missing=Text("Select how well the partnership is working"),
    ),
    Field("comment", Text("Comment"), "textarea", required=False),
    Field("participantsReached", Text("People reached"), "integer", required=False),
]


def edges(connection: Doc | None) -> list[Doc]:
    return [e["node"] for e in (connection or {}).get("edges", [])]


def commitment_fields(partners: list[Doc], own: str | None) -> list[Field]:
    owners = tuple((p["id"], p["name"]) for p in partners)
    return [
        Field("title", Text("What will be done?"), missing=Text("Enter what will be done")),
        Field(
            "ownerOrganizationId",
            Text("Who will do it?"),
            "radios",
            options=owners,
            hint=Text("Another partner's commitment is a proposal until they accept it"),
            missing=Text("Select who will do it"),
        ),
        Field(
            "dueAt",
            Text("Due date"),
            "date",
            hint=Text("For example, 2026-03-31"),
            missing=Text("Enter the due date"),
        ),
        Field("quantity", Text("How much (optional)"), "number", required=False),
        Field(
            "unit",
            Text("Unit (optional)"),
            hint=Text("For example, hours or boxes"),
            required=False,
        ),
    ]


def contribution_fields(partners: list[Doc]) -> list[Field]:
    return [
        Field(
            "organizationId",
            Text("Which organization contributed?"),
            "radios",
            options=tuple((p["id"], p["name"]) for p in partners),
            missing=Text("Select which organization contributed"),
        ),
        Field(
            "kind",
            Text("What kind of contribution?"),
            "radios",
            options=KINDS,
            missing=Text("Select the kind of contribution"),
        ),
        Field("quantity", Text("How much?"), "number", missing=Text("Enter how much")),
        Field(
            "unit",
            Text("Unit"),
            hint=Text("For example, hours, boxes, dollars"),
            missing=Text("Enter the unit"),
        ),
        Field(
            "estimatedValue",
            Text("Estimated value in dollars (optional)"),
            "number",
            required=False,
        ),
        Field("note", Text("Note"), "textarea", required=False),
    ]


def member_router(ws: Workspace) -> APIRouter:
    router = APIRouter(prefix="/app", include_in_schema=False)

    # --- suggestions -------------------------------------------------------------------
    @router.get("/suggestions/{ident}")
    async def suggestion(request: Request, ident: str) -> Response:
        async def draw(api: WebApi, me: Doc) -> Response:
            match = await match_of(api, ident)
            state = FormState([DECISION, REASON])
            return page(
                request,
                "suggestion.html",
                match=match,
                form=state,
                title=Text("Do you want to work with them?"),
                me_org=me["organizationId"],
            )

        return await ws.view(request, draw)

    @router.post("/suggestions/{ident}")
    async def respond(request: Request, ident: str) -> Response:
        async def draw(api: WebApi, me: Doc) -> Response:
            match = await match_of(api, ident)
            return await submit(
                request,
                api,
                [DECISION, REASON],
                q.RESPOND,
                lambda v: {"id": ident, "d": v["decision"], "r": v["reason"] or ""},
                "/app?done=answered",
                Text("Do you want to work with them?"),
                "/app",
                template="suggestion.html",
                match=match,
                me_org=me["organizationId"],
            )

        return await ws.view(request, draw)

    # --- a partnership -----------------------------------------------------------------
    @router.get("/partnerships/{ident}")
    async def partnership(request: Request, ident: str) -> Response:
        async def draw(api: WebApi, me: Doc) -> Response:
            found = (await api.read(q.PARTNERSHIP, {"id": ident}))["partnership"]
            if not found:
                raise not_found()
            names = {o["id"]: o["name"] for o in found["organizations"]}
            return page(
                request,
                "partnership.html",
                p=found,
                names=names,
                edges=edges,
                title=found["name"],
                done=DONE.get(request.query_params.get("done", ""), ""),
                now=ws.clock.now().isoformat(),
            )

        return await ws.view(request, draw)

    def partnership_form(
        path: str, title: Text, document: str, fields_of: Any, variables: Any
    ) -> None:
        async def show(request: Request, ident: str) -> Response:
            async def draw(api: WebApi, me: Doc) -> Response:
                p = await partnership_of(api, ident)
                state = FormState(fields_of(p["organizations"], me))
                state.values.update(defaults(p, me))
                return form_page(
                    request, state, title, f"/app/partnerships/{ident}", caption=p["name"]
                )

            return await ws.view(request, draw)

        async def post(request: Request, ident: str) -> Response:
            async def draw(api: WebApi, me: Doc) -> Response:
                p = await partnership_of(api, ident)
                return await submit(
                    request,
                    api,
                    fields_of(p["organizations"], me),
                    document,
                    lambda v: variables(ident, v),
                    f"/app/partnerships/{ident}?done={path}",
                    title,
                    f"/app/partnerships/{ident}",
                    caption=p["name"],
                )

            return await ws.view(request, draw)

        router.add_api_route(f"/partnerships/{{ident}}/{path}", show, methods=["GET"])
        router.add_api_route(f"/partnerships/{{ident}}/{path}", post, methods=["POST"])

    def defaults(p: Doc, me: Doc) -> dict[str, Any]:
        own = me.get("organizationId")
        return {"ownerOrganizationId": own, "organizationId": own} if own else {}

    partnership_form(
        "commitments",
        Text("Make a commitment"),
        q.MAKE_COMMITMENT,
        lambda partners, me: commitment_fields(partners, me.get("organizationId")),
        lambda ident, v: {
            "i": {
                "partnershipId": ident,
                "title": v["title"],
                "ownerOrganizationId": v["ownerOrganizationId"],
                "dueAt": end_of_day(v["dueAt"]),
                **({"quantity": v["quantity"]} if v["quantity"] != "" else {}),
                **({"unit": v["unit"]} if v["unit"] else {}),
            }
        },
    )
    partnership_form(
        "check-ins",
        Text("Log a check-in"),
        q.CHECK_IN,
        lambda partners, me: CHECK_IN,
        lambda ident, v: {
            "i": {
                "partnershipId": ident,
                "heldAt": noon(v["heldAt"]),
                **{k: v[k] or [] for k in ("attendees", "updates", "wins", "blockers")},
            }
        },
    )
    partnership_form(
        "milestones",
        Text("Record a milestone"),
        q.MILESTONE,
        lambda partners, me: MILESTONE,
        lambda ident, v: {"i": {"partnershipId": ident, "title": v["title"], "note": v["note"]}},
    )
    partnership_form(
        "contributions",
        Text("Log a contribution"),
        q.CONTRIBUTION,
        lambda partners, me: contribution_fields(partners),
        lambda ident, v: {
            "i": {
                "partnershipId": ident,
                "organizationId": v["organizationId"],
                "kind": v["kind"],
                "quantity": v["quantity"],
                "unit": v["unit"],
                "estimatedValue": v["estimatedValue"] or 0,
                "note": v["note"],
            }
        },
    )
    partnership_form(
        "feedback",
        Text("Give feedback"),
        q.FEEDBACK,
        lambda partners, me: FEEDBACK,
        lambda ident, v: {
            "i": {
                "partnershipId": ident,
                "rating": int(v["rating"]),
                "comment": v["comment"],
                "participantsReached": v["participantsReached"] or 0,
            }
        },
    )

    # --- a commitment: answer a proposal, or close it ----------------------------------
    async def commitment_of(api: WebApi, ident: str) -> Doc:
        found = (await api.read(q.COMMITMENT, {"id": ident}))["commitment"]
        if not found:
            raise not_found()
        return dict(found)

    @router.get("/commitments/{ident}")
    async def commitment(request: Request, ident: str) -> Response:
        async def draw(api: WebApi, me: Doc) -> Response:
            c = await commitment_of(api, ident)
            fields = [ANSWER, NOTE] if c["status"] == "PROPOSED" else [CLOSE, NOTE]
            title = (
                Text("Will your organization take this on?")
                if c["status"] == "PROPOSED"
                else Text("How did this commitment go?")
            )
            return form_page(
                request,
                FormState(fields),
                title,
                f"/app/partnerships/{c['partnershipId']}",
                commitment=c,
                caption=c["title"],
            )

        return await ws.view(request, draw)

    @router.post("/commitments/{ident}")
    async def close(request: Request, ident: str) -> Response:
        async def draw(api: WebApi, me: Doc) -> Response:
            c = await commitment_of(api, ident)
            back = f"/app/partnerships/{c['partnershipId']}"
            if c["status"] == "PROPOSED":
                return await answer(request, api, c, back)
            return await submit(
                request,
                api,
                [CLOSE, NOTE],
                q.UPDATE_COMMITMENT,
                lambda v: {"id": ident, "s": v["status"], "note": v["note"]},
                f"{back}?done=closed",
                Text("How did this commitment go?"),
                back,
                caption=c["title"],
            )

        return await ws.view(request, draw)

    async def answer(request: Request, api: WebApi, c: Doc, back: str) -> Response:
        form = await request.form()
        document = (
            q.DECLINE_COMMITMENT if form.get("decision") == "DECLINE" else q.ACCEPT_COMMITMENT
        )
        return await submit(
            request,
            api,
            [ANSWER, NOTE],
            document,
            lambda v: {"id": c["id"], "note": v["note"]},
            f"{back}?done=answered",
            Text("Will your organization take this on?"),
            back,
            caption=c["title"],
        )

    # --- the inbox ---------------------------------------------------------------------
    @router.get("/inbox")
    async def inbox(request: Request) -> Response:
        async def draw(api: WebApi, me: Doc) -> Response:
            found = edges((await api.read(q.INBOX))["notifications"])
            return page(request, "inbox.html", notifications=found, title=Text("Inbox"))

        return await ws.view(request, draw)

    @router.post("/inbox/read")
    async def mark_read(request: Request) -> Response:
        async def draw(api: WebApi, me: Doc) -> Response:
            form = await request.form()
            if not csrf_ok(request, form):
                return csrf_refused(request)
            ids = [str(i) for i in form.getlist("id")]
            if ids:
                outcome = await api.run(q.MARK_READ, {"ids": ids})
                if outcome.errors:
                    raise Refused(outcome.errors[0])
            return see_other("/app/inbox")

        return await ws.view(request, draw)

    return router


async def match_of(api: WebApi, ident: str) -> Doc:
    found = (await api.read(q.MATCH, {"id": ident}))["node"]
    if not found or "score" not in found:
        raise not_found()
    return dict(found)


async def partnership_of(api: WebApi, ident: str) -> Doc:
    """The partnership as the caller may see it; a plain not-found page otherwise."""
    found = (await api.read(q.PARTNERS, {"id": ident}))["partnership"]
    if not found:
        raise not_found()
    return dict(found)
