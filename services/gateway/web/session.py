"""Signing in to /app by a one-time link, and out. A person gives the email the network
knows; intake records a single-use link and notifications emails it (or writes it to its log
when email is off). Opening the link shows a button (a mail scanner's GET never uses it up);
pressing it redeems the link for a session token, kept in an HttpOnly, SameSite=Strict cookie
and used exactly as a bearer token is, so the session has the member's rights and no more.
Signing out ends the session at intake; "everywhere" ends every session of the member."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from limits.storage import Storage
from pydantic import EmailStr as _EmailStr
from pydantic import TypeAdapter, ValidationError
from starlette.responses import Response

from services.gateway.callers import CallerCache
from services.gateway.clients import ServiceClients
from services.gateway.limits import SharedRateLimiter
from services.gateway.web import SESSION_COOKIE
from services.gateway.web.forms import Field, FormState, parse
from services.gateway.web.language import remember
from services.gateway.web.render import page, pages_of, see_other
from services.gateway.web.safety import csrf_ok
from shared.clock import Clock
from shared.contracts.requests.notifications import UpdatePreferences
from shared.contracts.sessions import Session
from shared.errors import AppError, ErrorCode
from shared.http import validated
from shared.i18n import Text

EMAIL = [
    Field(
        "email",
        Text("Email address"),
        "email",
        hint=Text("The address your network knows you by"),
        missing=Text("Enter your email address"),
    )
]
emails = TypeAdapter(_EmailStr)


def set_session(request: Request, response: Response, session: Session, clock: Clock) -> None:
    # the browser expires the cookie by its own (real) clock: `clock` is the wall clock
    seconds = int((session.expires_at - clock.now()).total_seconds())
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        max_age=max(seconds, 0),
        path="/",  # /app and /dashboard; POST /graphql never reads a cookie
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def forget_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


async def member_language(clients: ServiceClients, member_id: str, spoken: str) -> str:
    """The language a member signing in reads: their preference; a member who never chose
    keeps the page's language, saved as the preference so their notifications speak it too.
    Without an answer from notifications, the page's language."""
    notifications = clients.notifications
    try:
        chosen = (await notifications.preferences(member_id)).language
        if chosen:
            return chosen
        patch = validated(UpdatePreferences, {"input": {"language": spoken}})
        await notifications.update_preferences(member_id, patch)
    except AppError:
        pass
    return spoken


def csrf_refused(request: Request) -> Response:
    return page(request, "expired.html", 403, title=Text("This form has expired"))


@dataclass
class LinkLimits:
    """Sign-in links are email sent on anyone's request: at most a few per address (beyond
    them none is sent, and the page says the same, so it tells nothing) and per client
    address (beyond them the page says to wait) in a quarter of an hour, counted in the
    gateway's shared rate-limit store."""

    per_email: SharedRateLimiter
    per_client: SharedRateLimiter

    @classmethod
    def in_store(cls, storage: Storage) -> LinkLimits:
        window = 15 * 60
        return cls(
            SharedRateLimiter(5 / window, 5, storage),
            SharedRateLimiter(30 / window, 30, storage),
        )


def session_router(
    clients: ServiceClients, limits: LinkLimits, callers: CallerCache, clock: Clock
) -> APIRouter:
    router = APIRouter(prefix="/app", include_in_schema=False)

    @router.get("/sign-in")
    async def sign_in_form(request: Request) -> Response:
        return page(request, "sign_in.html", form=FormState(EMAIL), title=Text("Sign in"))

    @router.post("/sign-in")
    async def ask_for_link(request: Request) -> Response:
        form = await request.form()
        if not csrf_ok(request, form):
            return csrf_refused(request)
        state = parse(EMAIL, form)
        if not state.errors:
            try:
                emails.validate_python(state.values["email"])
            except ValidationError:
                state.errors["email"] = Text(
                    "Enter an email address in the correct format, like name@example.org"
                )
        if state.errors:
            return page(request, "sign_in.html", 400, form=state, title=Text("Sign in"))
        email = str(state.values["email"]).lower()
        host = request.client.host if request.client else "unknown"
        if not await limits.per_client.allow(f"sign-in-host:{host}"):
            return page(request, "too_many.html", 429, title=Text("Too many sign-in links"))
        try:
            if await limits.per_email.allow(f"sign-in-email:{email}"):
                await clients.intake.request_sign_in_links(email)
        except AppError as error:
            if error.code is not ErrorCode.BAD_USER_INPUT:
                return page(request, "unavailable.html", 503, title=Text("Sorry, try again"))
        # the same answer for an unknown email: the page never says who is a member
        return page(
            request, "link_sent.html", email=state.values["email"], title=Text("Check your email")
        )

    @router.get("/sign-in/{token}")
    async def link(request: Request, token: str) -> Response:
        return page(request, "use_link.html", token=token, title=Text("Sign in to Commonweave"))

    @router.post("/sign-in/link")
    async def use_link(request: Request) -> Response:
        form = await request.form()
        if not csrf_ok(request, form):
            return csrf_refused(request)
        try:
            found = await clients.intake.redeem_sign_in_link(str(form.get("token") or ""))
        except AppError as error:
            if error.code in (ErrorCode.UNAUTHENTICATED, ErrorCode.BAD_USER_INPUT):
                return page(
                    request, "link_used.html", 401, title=Text("That sign-in link has expired")
                )
            return page(request, "unavailable.html", 503, title=Text("Sorry, try again"))
        session = found
        response = see_other("/app")
        set_session(request, response, session, clock)
        spoken = pages_of(request).language(request).code
        remember(request, response, await member_language(clients, session.member_id, spoken))
        return response

    async def end(request: Request, everywhere: bool) -> Response:
        form = await request.form()
        if not csrf_ok(request, form):
            return csrf_refused(request)
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            try:
                holder = await clients.intake.resolve_token(token)
                await clients.intake.end_sessions(token, everywhere)
            except AppError as error:
                if error.code is not ErrorCode.UNAUTHENTICATED:  # else: already ended
                    return page(request, "unavailable.html", 503, title=Text("Sorry, try again"))
            else:
                # this gateway forgets the member's resolved tokens at once (API tokens are
                # resolved again, sessions are refused); other replicas' caches expire in
                # seconds (COMMONWEAVE_GATEWAY_CALLER_CACHE_SECONDS)
                callers.forget_member(holder.member_id)
        response = page(request, "signed_out.html", title=Text("You have signed out"))
        forget_session(response)
        return response

    @router.post("/sign-out")
    async def sign_out(request: Request) -> Response:
        return await end(request, everywhere=False)

    @router.post("/sign-out-everywhere")
    async def sign_out_everywhere(request: Request) -> Response:
        return await end(request, everywhere=True)

    return router
