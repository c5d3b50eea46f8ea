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
from services.gateway.web.render import page
from services.gateway.web.workspace import Workspace, form_page, submit

YES_NO = (("yes", "Yes"), ("no", "No"))
PROFILE = [
    Field("mission", "Mission", "textarea"),
    Field("focusAreas", "Focus areas", "lines", hint="One per line", required=False),
    Field("values", "Values", "lines", hint="One per line", required=False),
    Field("offers", "What do you offer?", "checkboxes", required=False, options=RESOURCES),
    Field("needs", "What do you need?", "checkboxes", required=False, options=RESOURCES),
    Field("region", "Region", required=False),
    Field("populationsServed", "Who do you serve?", "lines", hint="One per line", required=False),
    Field("virtualReady", "Can you work with partners online?", "radios", options=YES_NO),
    Field(
        "openToOtherNetworks", "Open to partners from linked networks?", "radios", options=YES_NO
    ),
]
PREFERENCES = [
    Field(
        "defaultChannels",
        "How should we tell you about things?",
        "checkboxes",
        options=(("INBOX", "In the inbox"), ("EMAIL", "By email")),
        missing="Select at least one way to tell you",
    ),
    Field(
        "digest",
        "Do you want one email a day instead of each one?",
        "radios",
        options=(("OFF", "No, send each email"), ("DAILY", "Yes, a daily digest")),
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
                "Change your organization's profile",
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
                "Change your organization's profile",
                "/app/organization",
                caption=org["name"],
            )

        return await ws.view(request, draw)

    @router.get("/preferences")
    async def preferences(request: Request) -> Response:
        async def draw(api: WebApi, me: Doc) -> Response:
            found = (await api.read(q.PREFERENCES))["notificationPreferences"] or {}
            state = FormState(
                PREFERENCES,
                values={
                    "defaultChannels": found.get("defaultChannels", ["INBOX", "EMAIL"]),
                    "digest": found.get("digest", "OFF"),
                },
            )
            return form_page(request, state, "How should we tell you about things?", "/app")

        return await ws.view(request, draw)

    @router.post("/preferences")
    async def save_preferences(request: Request) -> Response:
        async def draw(api: WebApi, me: Doc) -> Response:
            return await submit(
                request,
                api,
                PREFERENCES,
                q.UPDATE_PREFERENCES,
                lambda v: {"i": {"defaultChannels": v["defaultChannels"], "digest": v["digest"]}},
                "/app?done=preferences",
                "How should we tell you about things?",
                "/app",
            )

        return await ws.view(request, draw)

    return router
