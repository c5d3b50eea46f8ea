"""Event contracts: one pydantic model per event type, grouped by the service that publishes
it. The topic of an event is its type; `EVENT_TYPES` maps each to its payload model (the
AsyncAPI document is generated from it), and `event_type_of` answers the type of a payload, so
an event cannot be published on another topic than its own."""

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


def _types_of_classes() -> dict[type[Payload], str]:
    """Each contract class's event type; a class that several types share has none (those
    events are published as the subclass of their type)."""
    found: dict[type[Payload], list[str]] = {}
    for event_type, model in EVENT_TYPES.items():
        found.setdefault(model, []).append(event_type)
    return {model: types[0] for model, types in found.items() if len(types) == 1}


EVENT_TYPE_OF = _types_of_classes()


def event_type_of(event: Payload) -> str:
    """The event type (and topic) of a payload, from its contract class."""
    try:
        return EVENT_TYPE_OF[type(event)]
    except KeyError:
        raise TypeError(f"{type(event).__name__} is not the contract of one event type") from None
