"""The one-button form every list of /app has (accept, end, remove): CSRF checked, one
mutation run under the form's Idempotency-Key (a double submit does it once), then back to the
list with what was done. A CONFLICT (the thing moved on already, an organization's last admin)
draws the list again with the API's reason in the error summary; any other refusal answers
the plain page (NOT_FOUND for another network's id, FORBIDDEN for a member)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from services.gateway.web.api import Doc, Refused, WebApi
from services.gateway.web.forms import IDEMPOTENCY_FIELD, FormState, sentence
from services.gateway.web.render import see_other
from services.gateway.web.safety import csrf_ok
from services.gateway.web.session import csrf_refused

Redraw = Callable[[FormState, int], Awaitable[Response]]


def problem(message: str = "") -> FormState:
    """A list page's state: no fields, a fresh Idempotency-Key for its buttons, and the
    reason a button did nothing, if any (the error summary shows it)."""
    return FormState([], other_errors=[sentence(message)] if message else [])


async def act(
    request: Request, api: WebApi, document: str, variables: Doc, done: str, again: Redraw
) -> Response:
    form = await request.form()
    if not csrf_ok(request, form):
        return csrf_refused(request)
    outcome = await api.run(document, variables, str(form.get(IDEMPOTENCY_FIELD) or ""))
    if not outcome.errors:
        return see_other(done)
    if outcome.code == "CONFLICT":
        return await again(problem(outcome.errors[0].message), 409)
    raise Refused(outcome.errors[0])
