"""A network coordinator's pages (the operator's rights): report a need, import a survey by
upload with its rejected rows as a table, a need's coalitions with a button introducing their
members to each other, and the network's organizations and join code. A member who opens them
gets what the API gives a member: FORBIDDEN, a page that says nothing more."""

from __future__ import annotations

import base64
from itertools import combinations

from fastapi import APIRouter, Request
from starlette.responses import Response

from services.gateway.web import queries as q
from services.gateway.web.api import Doc, Refused, WebApi, not_found
from services.gateway.web.forms import IDEMPOTENCY_FIELD, MAX_UPLOAD_BYTES, Field, FormState, parse
from services.gateway.web.member import edges
from services.gateway.web.render import page, pages_of, refused, see_other
from services.gateway.web.safety import HEADERS, csrf_ok
from services.gateway.web.session import csrf_refused
from services.gateway.web.workspace import Workspace, form_page, submit
from shared.i18n import Text

RESOURCES = (
    ("funding", Text("Funding")),
    ("volunteers", Text("Volunteers")),
    ("outreach", Text("Outreach")),
    ("venue", Text("Venue")),
    ("expertise", Text("Expertise")),
    ("materials", Text("Materials")),
    ("transport", Text("Transport")),
    ("counseling", Text("Counseling")),
    ("mentoring", Text("Mentoring")),
    ("other", Text("Other")),
)
NEED = [
    Field("title", Text("What is the need?"), missing=Text("Enter the need")),
    Field(
        "focusArea",
        Text("Focus area"),
        missing=Text("Enter the focus area"),
        hint=Text("For example, food security or youth mentoring"),
    ),
    Field(
        "area",
        Text("Where?"),
        hint=Text("A neighborhood, town or district"),
        missing=Text("Enter where it is"),
    ),
    Field(
        "severity",
        Text("How severe is it?"),
        "radios",
        hint=Text("1 is mild, 5 is severe"),
        options=tuple((str(n), str(n)) for n in range(1, 6)),
        missing=Text("Select how severe the need is"),
    ),
    Field("description", Text("Describe it (optional)"), "textarea", required=False),
    Field(
        "requiredResources",
        Text("What would help? (optional)"),
        "checkboxes",
        required=False,
        options=RESOURCES,
    ),
]
SURVEY = [
    Field(
        "file",
        Text("Upload the survey file"),
        "file",
        hint=Text(
            "A CSV file with the columns area, concern and comment (optional: population, "
            "age_group), up to 1 MB"
        ),
        api="csv",
    ),
]


def coordinator_router(ws: Workspace) -> APIRouter:
    router = APIRouter(prefix="/app", include_in_schema=False)

    @router.get("/needs/new")
    async def new_need(request: Request) -> Response:
        async def draw(api: WebApi, me: Doc) -> Response:
            return form_page(request, FormState(NEED), Text("Report a need"), "/app")

        return await ws.view(request, draw)

    @router.post("/needs/new")
    async def report(request: Request) -> Response:
        async def draw(api: WebApi, me: Doc) -> Response:
            return await submit(
                request,
                api,
                NEED,
                q.REPORT_NEED,
                lambda v: {
                    "i": {
                        "networkId": me["networkId"],
                        "title": v["title"],
                        "focusArea": v["focusArea"],
                        "area": v["area"],
                        "severity": int(v["severity"]),
                        "description": v["description"],
                        "requiredResources": [r.upper() for r in v["requiredResources"]],
                    }
                },
                "/app?done=need",
                Text("Report a need"),
                "/app",
            )

        return await ws.view(request, draw)

    @router.get("/needs/{ident}")
    async def need(request: Request, ident: str) -> Response:
        async def draw(api: WebApi, me: Doc) -> Response:
            found = (await api.read(q.NEED, {"id": ident}))["need"]
            if not found:
                raise not_found()
            return page(
                request,
                "need.html",
                need=found,
                title=found["title"],
                done=request.query_params.get("done", ""),
                key=FormState([]).key,
            )

        return await ws.view(request, draw)

    @router.post("/needs/{ident}/introduce")
    async def introduce(request: Request, ident: str) -> Response:
        """Introduces every two members of the chosen coalition to each other, each
        introduction under its own key derived from the form's (a double submit does it
        once)."""

        async def draw(api: WebApi, me: Doc) -> Response:
            form = await request.form()
            if not csrf_ok(request, form):
                return csrf_refused(request)
            found = (await api.read(q.NEED, {"id": ident}))["need"]
            if not found:
                raise not_found()
            try:
                coalition = found["coalitions"][int(str(form.get("coalition")))]
            except (ValueError, IndexError):
                raise not_found() from None
            members = [m["organizationId"] for m in coalition["organizations"]]
            # the coordinator's note, in the coordinator's language (stored as it is written)
            note = pages_of(request).language(request)(
                Text(
                    "Together you could meet this need: %(title)s (%(area)s).",
                    title=found["title"],
                    area=found["area"],
                )
            )
            key = str(form.get(IDEMPOTENCY_FIELD) or "")
            for a, b in combinations(members, 2):
                outcome = await api.run(
                    q.INTRODUCE,
                    {"i": {"organizationIds": [a, b], "note": note}},
                    f"{key}:{a}:{b}" if key else "",
                )
                if outcome.errors and outcome.code != "CONFLICT":  # CONFLICT: already answered
                    raise Refused(outcome.errors[0])
            return see_other(f"/app/needs/{ident}?done=introduced")

        return await ws.view(request, draw)

    @router.get("/surveys/new")
    async def new_survey(request: Request) -> Response:
        async def draw(api: WebApi, me: Doc) -> Response:
            return form_page(
                request,
                FormState(SURVEY),
                Text("Import a neighborhood survey"),
                "/app",
                upload=True,
            )

        return await ws.view(request, draw)

    @router.post("/surveys/new")
    async def import_survey(request: Request) -> Response:
        async def draw(api: WebApi, me: Doc) -> Response:
            form = await request.form(max_part_size=MAX_UPLOAD_BYTES)
            if not csrf_ok(request, form):
                return csrf_refused(request)
            state = parse(SURVEY, form)
            title = Text("Import a neighborhood survey")
            if not state.errors:
                raw = await state.values["file"].read()
                try:
                    text = raw.decode("utf-8-sig")
                except UnicodeDecodeError:
                    state.errors["file"] = Text("The selected file must be a CSV file in UTF-8")
                else:
                    key = str(form.get(IDEMPOTENCY_FIELD) or "")
                    outcome = await api.run(
                        q.IMPORT_SURVEY, {"n": me["networkId"], "csv": text}, key
                    )
                    if not outcome.errors:
                        return page(
                            request,
                            "survey_result.html",
                            result=outcome.data["importSurvey"],
                            title=Text("Survey imported"),
                        )
                    if outcome.code not in ("BAD_USER_INPUT", "CONFLICT"):
                        return refused(request, outcome.code or "", outcome.errors[0].message)
                    state.api_errors(outcome.errors)
            state.values = {}
            return form_page(request, state, title, "/app", 400, upload=True)

        return await ws.view(request, draw)

    @router.get("/network")
    async def network(request: Request) -> Response:
        async def draw(api: WebApi, me: Doc) -> Response:
            found = await api.read(q.NETWORK, {"n": me["networkId"]})
            return page(
                request,
                "network.html",
                network=found["network"],
                organizations=edges(found["organizations"]),
                title=Text("Your network"),
                key=FormState([]).key,
                done=request.query_params.get("done", ""),
            )

        return await ws.view(request, draw)

    @router.get("/network/directory.zip")
    async def export(request: Request) -> Response:
        """The network's organizations as an Open Referral HSDS package, a download."""

        async def draw(api: WebApi, me: Doc) -> Response:
            found = (await api.read(q.EXPORT, {"n": me["networkId"]}))["exportDirectory"]
            if not found:
                raise not_found()
            body = base64.b64decode(found["dataUrl"].split(",", 1)[1])
            disposition = f'attachment; filename="{found["fileName"]}"'
            return Response(
                body,
                media_type=found["contentType"],
                headers={**HEADERS, "Content-Disposition": disposition},
            )

        return await ws.view(request, draw)

    @router.post("/network/join-code")
    async def rotate(request: Request) -> Response:
        async def draw(api: WebApi, me: Doc) -> Response:
            form = await request.form()
            if not csrf_ok(request, form):
                return csrf_refused(request)
            outcome = await api.run(
                q.ROTATE, {"n": me["networkId"]}, str(form.get(IDEMPOTENCY_FIELD) or "")
            )
            if outcome.errors:
                raise Refused(outcome.errors[0])
            return see_other("/app/network?done=rotated")

        return await ws.view(request, draw)

    return router
