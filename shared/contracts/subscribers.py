"""Which consumer groups read each topic: part of the contract, as the topics are. An outbox
relay counts an event delivered once every group here has committed past it, and sends again
after a broker lost its log only what some group has not (shared/outbox.py). A topic no group
reads (`notification.created`: the gateway's feed reads it without a group, for news only)
needs nothing sent again. A service subscribing to a topic must be named here:
tests/unit/shared/test_subscribers.py compares this with what every service's consumer
subscribes to.

A service reads its topics in two lanes, each a consumer group of its own (shared/consumer.py):
the urgent topics below in `<service>.urgent`, the rest in `<service>`. Each lane has its own
fetch and its own handling, so a backlog of bulk events (a registration burst's fan-out) never
holds up an urgent one. The group of a (service, topic) is `lane_group`: the relay's committed
offsets, the KafkaUsers' group ACLs, the lag metrics and KEDA's triggers all follow it.
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
# Urgent: few, and someone waits on them or is harmed by their delay. Their volume must stay
# small, or the urgent lane becomes a second bulk lane: nothing whose count follows the
# registrations (profiles, suggestions, needs, surveys) or the partnerships' running record
# (check-ins recorded, contributions, feedback, updates, health changes) belongs here.
URGENT = frozenset(
    {
        # early warnings and deadlines passed: partners must act now, not after a burst
        "partnership.health_warning",
        "commitment.overdue",
        "checkin.due",
        # a member's own action whose outcome they wait for, at the screen or in their inbox
        "member.sign_in_requested",  # the one-time sign-in link
        "member.joined",  # an invitation: the invited member's welcome
        "match.accepted",  # an introduction accepted: the partnership forms, both are told
    }
)
# Urgent for one reader only. A newcomer's welcome is what the registering admin waits for in
# their inbox: one message a registration, in notifications' urgent lane. The registration's
# fan-out stays bulk: the profiles in matching and commitments, and the suggestions they set
# off (`matches.suggested`, `match.suggested`), ten and more a registration.
URGENT_FOR: dict[str, frozenset[str]] = {"notifications": frozenset({"organization.registered"})}
URGENT_LANE = "urgent"


def urgent_topics(service: str) -> frozenset[str]:
    """The topics `service` reads in its urgent lane (if it reads them)."""
    return URGENT | URGENT_FOR.get(service, frozenset())


def lane_group(service: str, topic: str, urgent: frozenset[str] | None = None) -> str:
    """The consumer group that reads `topic` for `service`: its urgent lane, or its own.
    `urgent`: other urgent topics than the contract's (tests)."""
    urgent = urgent_topics(service) if urgent is None else urgent
    return f"{service}.{URGENT_LANE}" if topic in urgent else service


def lane_groups(service: str) -> tuple[str, str]:
    """Both lanes' groups of a service, whether or not it reads urgent topics now."""
    return service, f"{service}.{URGENT_LANE}"


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
        topic: frozenset(
            lane_group(service, topic)
            for service, topics in SUBSCRIPTIONS.items()
            if topic in topics
        )
        for topic in EVENT_TYPES
    }


def consumer_groups(service: str) -> list[str]:
    """The groups of a service's lanes that read something, its own first."""
    groups = {lane_group(service, topic) for topic in SUBSCRIPTIONS.get(service, ())}
    return sorted(groups, key=lambda group: (group != service, group))
