"""Which consumer groups read each topic: part of the contract, as the topics are. An outbox
relay counts an event delivered once every group here has committed past it, and sends again
after a broker lost its log only what some group has not (shared/outbox.py). A topic no group
reads (`notification.created`: the gateway's feed reads it without a group, for news only)
needs nothing sent again. A service subscribing to a topic must be named here:
tests/unit/shared/test_subscribers.py compares this with what every service's consumer
subscribes to.
"""

from __future__ import annotations

from shared.contracts import EVENT_TYPES

PROFILES = ("organization.registered", "organization.updated", "organization.archived")
NOTIFIED = (
    "checkin.due",
    "checkin.recorded",
    "commitment.accepted",
    "commitment.declined",
    "commitment.due_soon",
    "commitment.fulfilled",
    "commitment.made",
    "commitment.overdue",
    "community.response_received",
    "contribution.logged",
    "feedback.received",
    "match.accepted",
    "match.suggested",
    "matches.suggested",
    "member.joined",
    "member.removed",
    "member.sign_in_requested",
    "milestone.reached",
    "need.reported",
    "organization.registered",
    "partnership.formed",
    "partnership.health_changed",
    "partnership.health_warning",
    "partnership.update_posted",
    "survey.imported",
)
SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    "matching": (
        *PROFILES,
        "need.reported",
        "need.updated",
        "organization.reliability_changed",
        "network.link_changed",
    ),
    "commitments": (*PROFILES, "match.accepted"),
    "notifications": NOTIFIED,
}


def subscribers() -> dict[str, frozenset[str]]:
    """Every topic and the groups that read it (none for some)."""
    return {
        topic: frozenset(g for g, topics in SUBSCRIPTIONS.items() if topic in topics)
        for topic in EVENT_TYPES
    }
