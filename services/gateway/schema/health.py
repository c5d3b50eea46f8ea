"""Health over time on a partnership: `healthHistory(from, to)`, every change of its health as a
dated point with its parts, `trend`, the direction over its last check-in periods, and
`healthWarnings`, the early warnings it gave. The
fields live here and `Partnership` inherits them, so its own module stays as it is."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from services.gateway.schema.context import Info
from services.gateway.schema.enums import HealthTrend, HealthWarningReason
from services.gateway.schema.mapping import build_all
from shared import contracts as c

if TYPE_CHECKING:
    from services.gateway.schema.partnership_types import HealthPart

# Partnership's module inherits from this one, so this side refers to its types lazily.
LazyHealthPart = Annotated[
    "HealthPart", strawberry.lazy("services.gateway.schema.partnership_types")
]


@strawberry.type(description="A partnership's health from `at` until the next point.")
class HealthPoint:
    at: datetime
    score: float
    label: str = strawberry.field(description="new, thriving, steady or at risk")
    parts: list[LazyHealthPart]


@strawberry.type(
    description="An early warning: health fell at two check-in period ends in a row "
    "(DECLINING) or crossed into at risk (AT_RISK); once per crossing."
)
class HealthWarning:
    at: datetime
    reason: HealthWarningReason
    score: float
    previous_score: float
    part: LazyHealthPart = strawberry.field(description="The part whose fall cost most.")
    part_previous_score: float
    summary: str = strawberry.field(description="The sentence partners were sent.")


@strawberry.type
class HealthOverTime:
    if TYPE_CHECKING:
        id: strawberry.ID

    @strawberry.field(
        description="Every change of health as a dated point with its parts, oldest first; "
        "`from` and `to` (inclusive; UTC when they carry no offset) narrow it. The first point "
        "is the partnership's formation."
    )
    async def health_history(
        self,
        info: Info,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
    ) -> list[HealthPoint]:
        # A time without an offset is read as UTC.
        since, until = (
            None if value is None else value if value.tzinfo else value.replace(tzinfo=UTC)
            for value in (from_, to)
        )
        commitments = info.context.clients.commitments
        return build_all(HealthPoint, await commitments.health_history(self.id, since, until))

    @strawberry.field(
        description="Health now against three check-in period ends ago, or against formation "
        "while fewer have ended: up or down by more than 0.02 is IMPROVING or DECLINING, "
        "else STEADY."
    )
    async def trend(self, info: Info) -> HealthTrend:
        loader = info.context.loaders.batch(info.context.clients.commitments.health_trends, None)
        return await loader.load(str(self.id)) or HealthTrend.STEADY

    @strawberry.field(description="Its early warnings, newest first.")
    async def health_warnings(self, info: Info) -> list[HealthWarning]:
        none: list[c.HealthWarningView] = []
        fetch = info.context.clients.commitments.health_warnings
        return build_all(HealthWarning, await info.context.loaders.batch(fetch, none).load(self.id))
