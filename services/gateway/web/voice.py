"""The community's voice: a public page per partnership and per need where residents say how
it is going for them, with no sign-in. A response (a rating, a story, contact details if they
want to be reached) goes to commitments, which keeps it, tells the partners (their inbox) and
counts it in the partnership's health as the `community` source.

No caller signs in here, so the page cannot run the schema with anyone's rights; like the
sign-in link form (session.py) it calls the services directly and shows only what is public:
the partnership's name, goals and partners, or the need's title and area. Never a stored
response, and never a contact.

Spam resistance without a third-party captcha: the CSRF token of every /app form (a post must
come from this page in this browser), a honeypot field people never see or reach (a post that
fills it is refused and writes nothing), and a rate limit per client address counted in the
gateway's shared rate-limit store (every replica counts together). The form's
Idempotency-Key makes a double submit one response."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from limits.storage import Storage
from starlette.datastructures import FormData
from starlette.responses import Response

from services.gateway.clients import ServiceClients
from services.gateway.limits import SharedRateLimiter
from services.gateway.web.api import ApiError
from services.gateway.web.forms import IDEMPOTENCY_FIELD, Field, FormState, parse, shown
from services.gateway.web.render import page, refused, see_other
from services.gateway.web.safety import csrf_ok
from services.gateway.web.session import csrf_refused
from shared import contracts as c
from shared.contracts.page import Batch
from shared.errors import AppError, ErrorCode
from shared.http import IDEMPOTENCY_HEADER
from shared.i18n import Text

# A field no person sees or reaches (off screen, hidden from assistive technology, out of
# the tab order); form-filling robots fill every field they find.
HONEYPOT = "website"
RATINGS = (
    ("5", Text("5: very well")),
    ("4", Text("4: well")),
    ("3", Text("3: neither well nor poorly")),
    ("2", Text("2: poorly")),
    ("1", Text("1: very poorly")),
)
FIELDS = [
    Field(
        "rating",
        Text("How well is it working for you and your neighbours?"),
        "radios",
        options=RATINGS,
        api="input.rating",
        missing=Text("Select how well it is working for you"),
    ),
    Field(
        "story",
        Text("Tell us what happened (optional)"),
        "textarea",
        hint=Text(
            "What worked, what did not, what you would change. Do not include anyone's "
            "private details."
        ),
        required=False,
        api="input.story",
    ),
    Field(
        "contact",
        Text("How can the partners reach you? (optional)"),
        hint=Text(
            "An email address or phone number. Only the partner organizations see it; it is "
            "never shown on this page or anywhere public."
        ),
        required=False,
        api="input.contact",
    ),
]


@dataclass
class VoiceLimits:
    """At most `PER_CLIENT` responses per client address in `WINDOW` seconds, across every
    gateway replica (the shared rate-limit store)."""

    per_client: SharedRateLimiter
    PER_CLIENT = 5
    WINDOW = 15 * 60

    @classmethod
    def in_store(cls, storage: Storage) -> VoiceLimits:
        return cls(SharedRateLimiter(cls.PER_CLIENT / cls.WINDOW, cls.PER_CLIENT, storage))


@dataclass(frozen=True)
class Subject:
    """What a voice page is about, as the public may see it."""

    kind: str  # "partnership" or "need"
    ident: str
    title: str
    lines: tuple[Text | str, ...]
    network_id: str


def filled_honeypot(form: FormData) -> bool:
    return bool(str(form.get(HONEYPOT) or "").strip())


def idempotency(form: FormData) -> dict[str, str]:
    key = str(form.get(IDEMPOTENCY_FIELD) or "").strip()
    if not key:
        return {}
    return {IDEMPOTENCY_HEADER: hashlib.sha256(f"community-voice\n{key}".encode()).hexdigest()}


def voice_router(clients: ServiceClients, limits: VoiceLimits) -> APIRouter:
    router = APIRouter(prefix="/app/voice", include_in_schema=False)

    async def partnership(ident: str) -> Subject:
        p = c.PartnershipView.model_validate(
            await clients.commitments.get(f"/partnerships/{ident}")
        )
        if p.status is c.PartnershipStatus.CLOSED:
            raise AppError(ErrorCode.NOT_FOUND, "closed")
        ids = ",".join(p.organization_ids)
        found = Batch[c.OrganizationProfile].model_validate(
            await clients.intake.get("/organizations/by-ids", {"ids": ids})
        )
        names = [o.name for o in found.items.values()]
        partners = sorted(names)
        lines: list[Text | str] = []
        if len(partners) > 1:
            together = Text(
                "%(first)s and %(second)s", first=", ".join(partners[:-1]), second=partners[-1]
            )
            lines.append(Text("Partners: %(names)s", names=together))
        elif partners:
            lines.append(Text("Partners: %(names)s", names=partners[0]))
        lines += [Text("Goal: %(goal)s", goal=goal) for goal in p.goals[:3]]
        return Subject("partnership", p.id, p.name, tuple(lines), p.network_id)

    async def need(ident: str) -> Subject:
        n = c.NeedProfile.model_validate(await clients.intake.get(f"/needs/{ident}"))
        lines = (Text("%(focus)s in %(area)s", focus=n.focus_area.capitalize(), area=n.area),)
        return Subject("need", n.need_id, n.title, lines, n.network_id)

    async def subject_of(kind: str, ident: str) -> Subject:
        return await (partnership(ident) if kind == "partnerships" else need(ident))

    def form(request: Request, subject: Subject, state: FormState, status: int = 200) -> Response:
        return page(
            request,
            "voice.html",
            status,
            form=state,
            subject=subject,
            honeypot=HONEYPOT,
            title=Text("How is “%(title)s” going for you?", title=subject.title),
        )

    async def show(request: Request, kind: str, ident: str) -> Response:
        try:
            subject = await subject_of(kind, ident)
        except AppError as error:
            return refused(request, error.code.value)
        return form(request, subject, FormState(FIELDS))

    async def answer(request: Request, kind: str, ident: str) -> Response:
        form_data = await request.form()
        if not csrf_ok(request, form_data):
            return csrf_refused(request)
        if filled_honeypot(form_data):
            # refused before anything is counted or written; the page says nothing of why
            return page(
                request, "voice_refused.html", 400, title=Text("We could not take your answer")
            )
        try:
            subject = await subject_of(kind, ident)
        except AppError as error:
            return refused(request, error.code.value)
        state = parse(FIELDS, form_data)
        if state.errors:
            state.values = shown(state.values)
            return form(request, subject, state, 400)
        host = request.client.host if request.client else "unknown"
        if not await limits.per_client.allow(f"community-voice:{host}"):
            return page(request, "voice_too_many.html", 429, title=Text("Too many answers"))
        body: dict[str, Any] = {
            "input": {
                "rating": int(state.values["rating"]),
                "story": state.values["story"],
                "contact": state.values["contact"],
            }
        }
        if subject.kind == "need":
            body["network_id"] = subject.network_id
        path = f"/{kind}/{ident}/community-responses"
        try:
            await clients.commitments.post(path, body, headers=idempotency(form_data))
        except AppError as error:
            if error.code is not ErrorCode.BAD_USER_INPUT:
                return refused(request, error.code.value, str(error))
            state.api_errors([_api_error(error)])
            state.values = shown(state.values)
            return form(request, subject, state, 400)
        return see_other(f"/app/voice/{kind}/{ident}/thanks")

    async def thanks(request: Request, kind: str, ident: str) -> Response:
        try:
            subject = await subject_of(kind, ident)
        except AppError as error:
            return refused(request, error.code.value)
        return page(request, "voice_thanks.html", subject=subject, title=Text("Thank you"))

    for kind in ("partnerships", "needs"):
        router.add_api_route(f"/{kind}/{{ident}}", _bound(show, kind), methods=["GET"])
        router.add_api_route(f"/{kind}/{{ident}}", _bound(answer, kind), methods=["POST"])
        router.add_api_route(f"/{kind}/{{ident}}/thanks", _bound(thanks, kind), methods=["GET"])
    return router


Handler = Callable[[Request, str, str], Awaitable[Response]]


def _bound(handler: Handler, kind: str) -> Callable[[Request, str], Awaitable[Response]]:
    async def route(request: Request, ident: str) -> Response:
        return await handler(request, kind, ident)

    return route


def _api_error(error: AppError) -> ApiError:
    return ApiError(error.code.value, str(error), error.field)
