"""What every page of /app does first (who is signing in, with which rights) and the two
shapes every page has: a view over the caller's GraphQL answers, and a form that runs one
mutation with the form's Idempotency-Key and shows the API's errors beside the fields."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import strawberry
from starlette.requests import Request
from starlette.responses import Response

from services.gateway.web import SESSION_COOKIE
from services.gateway.web.api import ContextFor, Doc, Refused, WebApi
from services.gateway.web.forms import IDEMPOTENCY_FIELD, Field, FormState, parse, shown
from services.gateway.web.render import page, refused, see_other
from services.gateway.web.safety import csrf_ok
from services.gateway.web.session import csrf_refused, forget_session
from shared.clock import Clock
from shared.i18n import Text

ME = "query AppMe { me { memberId networkId organizationId role } }"
Variables = Callable[[dict[str, Any]], Doc]
SIGNED_OUT = ("UNAUTHENTICATED",)


class NotSignedIn(Exception):
    pass


@dataclass
class Workspace:
    schema: strawberry.Schema
    context_for: ContextFor
    clock: Clock  # what the pages show as now: real time (the gateway has no settable clock)

    async def api(self, request: Request) -> WebApi:
        """The caller's API; NotSignedIn without a session that still works."""
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            raise NotSignedIn
        api = WebApi(self.schema, self.context_for, token, request)
        try:
            me = (await api.read(ME))["me"]
        except Refused as refusal:
            if refusal.error.code in SIGNED_OUT:
                raise NotSignedIn from None
            raise
        if not me:
            raise NotSignedIn
        request.state.me = me
        return api

    async def view(
        self, request: Request, draw: Callable[[WebApi, Doc], Awaitable[Response]]
    ) -> Response:
        """A page drawn from the caller's answers; refusals answer a page that reveals
        nothing."""
        try:
            api = await self.api(request)
            return await draw(api, request.state.me)
        except NotSignedIn:
            response = see_other("/app/sign-in")
            forget_session(response)
            return response
        except Refused as refusal:
            return refused(request, refusal.error.code, refusal.error.message)


def form_page(
    request: Request,
    state: FormState,
    title: Text | str,
    back: str,
    status: int = 200,
    template: str = "form.html",
    **extra: Any,
) -> Response:
    return page(request, template, status, form=state, title=title, back=back, **extra)


async def submit(
    request: Request,
    api: WebApi,
    fields: list[Field],
    document: str,
    variables: Variables,
    done: str,
    title: Text | str,
    back: str,
    template: str = "form.html",
    beside: tuple[str, ...] = ("BAD_USER_INPUT", "CONFLICT"),
    **extra: Any,
) -> Response:
    """Runs the form's mutation once (its Idempotency-Key: a second submit answers the first
    answer) and goes to `done`; or draws the form again with every error beside its field
    (errors of the codes `beside`; any other answers its plain page)."""
    form = await request.form()
    if not csrf_ok(request, form):
        return csrf_refused(request)
    state = parse(fields, form)
    if not state.errors:
        key = str(form.get(IDEMPOTENCY_FIELD) or "")
        outcome = await api.run(document, variables(state.values), key)
        if not outcome.errors:
            return see_other(done)
        if outcome.code not in beside:
            return refused(request, outcome.code or "", outcome.errors[0].message)
        state.api_errors(outcome.errors)
    state.values = shown(state.values)
    return form_page(request, state, title, back, 400, template, **extra)
