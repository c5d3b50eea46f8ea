"""GraphQL types of a partnership's updates log and of the community's voice. A resident's
contact details are private to the partners: `CommunityResponse.contact` is filled for the
members of the partner organizations only (null for the network's operator), and never
reaches a public page, an event or a notification."""

from __future__ import annotations

from datetime import datetime

import strawberry

from shared.contracts.commitments import UpdateKind

strawberry.enum(
    UpdateKind,
    name="PartnershipUpdateKind",
    description="What an update tells: PROGRESS made, a SETBACK met, or a WIN.",
)


@strawberry.type(
    description="A post to a partnership's updates log: progress, a setback or a win, by a "
    "partner's member (or the network's operator). A win can become a milestone: "
    "reachMilestone with its updateId."
)
class PartnershipUpdate:
    id: strawberry.ID
    partnership_id: strawberry.ID
    kind: UpdateKind
    text: str
    organization_id: strawberry.ID | None = strawberry.field(
        description="The poster's organization; null when the network's operator posted."
    )
    member_id: strawberry.ID
    posted_at: datetime
    milestone_id: strawberry.ID | None = strawberry.field(
        description="The milestone this win was recorded as; null until it is."
    )


@strawberry.type(
    description="A resident's answer from a public community voice page (no sign-in): a "
    "rating and a story. It counts in the feedback part of health as the `community` source."
)
class CommunityResponse:
    id: strawberry.ID
    partnership_id: strawberry.ID | None
    need_id: strawberry.ID | None = strawberry.field(
        description="The need whose page it was given on, when it was a need's."
    )
    rating: int = strawberry.field(description="1 (poorly) to 5 (very well).")
    story: str
    contact: str | None = strawberry.field(
        description="How the resident may be reached, if they said: shown to the members of "
        "the partner organizations only (null for anyone else, the operator included)."
    )
    submitted_at: datetime


@strawberry.type(
    description="One source a health part blends. The feedback part has two: `partners` (the "
    "partners' ratings, nudged by their trend) weighing 0.6 and `community` (residents' "
    "ratings from the community voice pages) weighing 0.4; a source without ratings is left "
    "out and the other takes the whole part."
)
class HealthSource:
    name: str
    score: float
    weight: float
    count: int = strawberry.field(description="How many ratings it rests on.")
    detail: str
