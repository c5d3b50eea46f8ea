"""Event contracts: one pydantic model per event type, grouped by the service that publishes
it. The topic of an event is its type; `EVENT_TYPES` maps each to its payload model (the
AsyncAPI document is generated from it)."""

from shared.contracts import commitments, intake, matching, notifications
from shared.contracts.base import Payload
from shared.contracts.commitments import *  # noqa: F403
from shared.contracts.intake import *  # noqa: F403
from shared.contracts.links import *  # noqa: F403
from shared.contracts.matching import *  # noqa: F403
from shared.contracts.notifications import *  # noqa: F403
from shared.contracts.sessions import *  # noqa: F403

EVENT_TYPES: dict[str, type[Payload]] = {
    **intake.EVENTS,
    **matching.EVENTS,
    **commitments.EVENTS,
    **notifications.EVENTS,
}
