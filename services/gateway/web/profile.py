"""A member's organization and their own notifications: the profile as the network sees it
(its admin edits it: mission, focus areas, values, what it offers and needs, region,
populations served, whether it works virtually and with other networks), and how the member
hears of things (inbox, email, a daily digest)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from services.gateway.web import queries as q
from services.gateway.web.api import Doc, WebApi, not_found
from services.gateway.web.coordinator import RESOURCES
from services.gateway.web.forms import Field, FormState
from services.gateway.web.language import remember
from services.gateway.web.render import page, pages_of
from services.gateway.web.workspace import Workspace, form_page, submit
from shared.i18n import Catalogs, Text

YES_NO = (("yes", Text("Yes")), ("no", Text("No")))
PROFILE = [
    Field("mission", Text("Mission"), "textarea", missing=Text("Enter your mission")),
    Field("focusAreas", Text("Focus areas"), "lines", hint=Text("One per line"), required=False),
    Field("values", Text("Values"), "lines", hint=Text("One per line"), required=False),
    Field("offers", Text("What do you offer?"), "checkboxes", required=False, options=RESOURCES),
    Field("needs", Text("What do you need?"), "checkboxes", required=False, options=RESOURCES),
    Field("region", Text("Region"), required=False),
    Field(
        "populationsServed",
        Text("Who do you serve?"),
        "lines",
        hint=Text("One per line"),
        required=False,
    ),
    Field("virtualReady", Text("Can you work with partners online?"), "radios", options=YES_NO),
    Field(
        "openToOtherNetworks",
        Text("Open to partners from linked networks?"),
        "radios",
        options=YES_NO,
    ),
]
PREFERENCES = [
    Field(
        "defaultChannels",
        Text("How should we tell you about things?"),
        "checkboxes",
        options=(("INBOX", Text("In the inbox")), ("EMAIL", Text("By email"))),
        missing=Text("Select at least one way to tell you"),
    ),
    Field(
        "digest",
        Text("Do you want one email a day instead of each one?"),
        "radios",
        options=(("OFF", Text("No, send each email")), ("DAILY", Text("Yes, a daily digest"))),
        missing=Text("Select whether you want a daily digest"),
    ),
]


def preference_fields(catalogs: Catalogs) -> list[Field]:
    """The choices, and the language we write in (each named in its own words)."""
    spoken = tuple((code, catalogs.get(code).name) for code in catalogs.codes)
    return [
        *PREFERENCES,
        Field(
            "language",
            Text("Which language should we write to you in?"),
            "radios",
            options=spoken,
            missing=Text("Select a language"),
        ),
    ]


def resources(chosen: list[str], existing: list[Doc]) -> list[Doc]:
    """The kinds chosen, keeping what the profile said of each kind it already had."""
    kept = {r["kind"].lower(): r for r in existing}
    return [
        {k: v for k, v in kept.get(kind, {"kind": kind}).items() if v is not None}
        | {"kind": kind.upper()}
        for kind in chosen
    ]


def drawn(org: Doc) -> dict[str, Any]:
    """The profile as the form shows it."""
    return {
        **{k: org[k] or "" for k in ("mission", "region")},
        **{k: org[k] for k in ("focusAreas", "values", "populationsServed")},
        "offers": [r["kind"].lower() for r in org["offers"]],
        "needs": [r["kind"].lower() for r in org["needs"]],
        "virtualReady": "yes" if org["virtualReady"] else "no",
        "openToOtherNetworks": "yes" if org["openToOtherNetworks"] else "no",
    }


def profile_router(ws: Workspace) -> APIRouter:
    router = APIRouter(prefix="/app", include_in_schema=False)

    async def organization(api: WebApi, me: Doc) -> Doc:
        if not me.get("organizationId"):
            raise not_found()
        found = (await api.read(q.PROFILE, {"o": me["organizationId"]}))["organization"]
        if not found:
            raise not_found()
        return dict(found)

    @router.get("/organization")
    async def show(request: Request) -> Response:
        async def draw(api: WebApi, me: Doc) -> Response:
            org = await organization(api, me)
            return page(
                request,
                "organization.html",
                org=org,
                title=org["name"],
                done=request.query_params.get("done", ""),
            )

        return await ws.view(request, draw)

    @router.get("/organization/edit")
    async def edit(request: Request) -> Response:
        async def draw(api: WebApi, me: Doc) -> Response:
            org = await organization(api, me)
            state = FormState(PROFILE, values=drawn(org))
            return form_page(
                request,
                state,
                Text("Change your organization's profile"),
                "/app/organization",
                caption=org["name"],
            )

        return await ws.view(request, draw)

    @router.post("/organization/edit")
    async def save(request: Request) -> Response:
        async def draw(api: WebApi, me: Doc) -> Response:
            org = await organization(api, me)
            return await submit(
                request,
                api,
                PROFILE,
                q.UPDATE_PROFILE,
                lambda v: {
                    "o": org["id"],
                    "i": {
                        "mission": v["mission"],
                        "region": v["region"],
                        **{k: v[k] or [] for k in ("focusAreas", "values", "populationsServed")},
                        "offers": resources(v["offers"], org["offers"]),
                        "needs": resources(v["needs"], org["needs"]),
                        "virtualReady": v["virtualReady"] == "yes",
                        "openToOtherNetworks": v["openToOtherNetworks"] == "yes",
                    },
                },
                "/app/organization?done=saved",
                Text("Change your organization's profile"),
                "/app/organization",
                caption=org["name"],
            )

        return await ws.view(request, draw)

    @router.get("/preferences")
    async def preferences(request: Request) -> Response:
        async def draw(api: WebApi, me: Doc) -> Response:
            found = (await api.read(q.PREFERENCES))["notificationPreferences"] or {}
            pages = pages_of(request)
            state = FormState(
                preference_fields(pages.catalogs),
                values={
                    "defaultChannels": found.get("defaultChannels", ["INBOX", "EMAIL"]),
                    "digest": found.get("digest", "OFF"),
                    "language": found.get("language") or pages.language(request).code,
                },
            )
            return form_page(request, state, Text("How should we tell you about things?"), "/app")

        return await ws.view(request, draw)

    @router.post("/preferences")
    async def save_preferences(request: Request) -> Response:
        async def draw(api: WebApi, me: Doc) -> Response:
            answer = await submit(
                request,
                api,
                preference_fields(pages_of(request).catalogs),
                q.UPDATE_PREFERENCES,
                lambda v: {
                    "i": {
                        "defaultChannels": v["defaultChannels"],
                        "digest": v["digest"],
                        "language": v["language"],
                    }
                },
                "/app?done=preferences",
                Text("How should we tell you about things?"),
                "/app",
            )
            if answer.status_code == 303:  # saved: the pages speak it from now on too
                chosen = str((await request.form()).get("language") or "")
                remember(request, answer, chosen)
            return answer

        return await ws.view(request, draw)

    return router
