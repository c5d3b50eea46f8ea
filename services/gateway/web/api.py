"""The gateway's schema run in-process for a page, with the session token as the bearer:
the same resolvers, authorization, limits and errors as POST /graphql. A write carries the
form's Idempotency-Key, so a form submitted twice does one thing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import strawberry
from starlette.requests import Request

from services.gateway.context import GatewayContext
from services.gateway.schema.errors import shape_errors

Doc = dict[str, Any]
ContextFor = Callable[[str, Request], GatewayContext]


@dataclass(frozen=True)
class ApiError:
    code: str
    message: str
    field: str | None = None  # the input path of a BAD_USER_INPUT (`input.title`)


@dataclass
class Outcome:
    data: Doc = field(default_factory=dict)
    errors: list[ApiError] = field(default_factory=list)

    @property
    def code(self) -> str | None:
        return self.errors[0].code if self.errors else None


class Refused(Exception):
    """A read the page needs was refused: the page answers for it (sign in again, not found,
    forbidden, unavailable)."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(error.message)
        self.error = error


def not_found() -> Refused:
    return Refused(ApiError("NOT_FOUND", "not found"))


class WebContext(GatewayContext):
    """A context whose Idempotency-Key is the form's, not a header's."""

    form_key: str | None = None

    @property
    def idempotency_key(self) -> str | None:
        return self.form_key


@dataclass
class WebApi:
    schema: strawberry.Schema
    context_for: ContextFor
    token: str
    request: Request

    async def run(self, document: str, variables: Doc | None = None, key: str = "") -> Outcome:
        context = self.context_for(self.token, self.request)
        if isinstance(context, WebContext):
            context.form_key = key or None
        result = await self.schema.execute(
            document, variable_values=variables or {}, context_value=context
        )
        errors = [
            ApiError(
                str((e.extensions or {}).get("code")),
                e.message,
                (e.extensions or {}).get("field"),
            )
            for e in shape_errors(result.errors) or []
        ]
        return Outcome(result.data or {}, errors)

    async def read(self, document: str, variables: Doc | None = None) -> Doc:
        """The data, or Refused with the first error."""
        outcome = await self.run(document, variables)
        if outcome.errors:
            raise Refused(outcome.errors[0])
        return outcome.data
