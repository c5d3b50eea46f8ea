"""The contract of who reads each topic (shared/contracts/subscribers.py) is what the services
subscribe to: an outbox relay trusts it to decide what a lost broker needs again, so a group
missing from it would lose events at the next broker restart."""

from __future__ import annotations

from importlib import import_module

import pytest

from shared.contracts import EVENT_TYPES
from shared.contracts.subscribers import (
    SUBSCRIPTIONS,
    URGENT,
    consumer_groups,
    lane_group,
    subscribers,
    urgent_topics,
)
from shared.settings import Settings

CONSUMING = ("intake", "matching", "commitments", "notifications")


@pytest.mark.parametrize("service", CONSUMING)
def test_each_services_consumer_subscribes_to_what_the_contract_says(service: str) -> None:
    create_app = import_module(f"services.{service}.app").create_app
    app = create_app(Settings(_env_file=None))  # type: ignore[call-arg]
    consumer = app.state.runtime.consumer
    assert consumer.group == service
    assert sorted(consumer.topics) == sorted(SUBSCRIPTIONS.get(service, ()))


def test_every_topic_has_its_readers_and_notifications_created_none() -> None:
    readers = subscribers()
    assert set(readers) == set(EVENT_TYPES)
    assert readers["notification.created"] == frozenset()  # the gateway's feed: no group
    # the welcome is urgent for notifications; the profiles are bulk for the others
    assert readers["organization.registered"] == {
        "matching",
        "commitments",
        "notifications.urgent",
    }


def test_urgent_topics_are_read_by_each_services_urgent_lane() -> None:
    readers = subscribers()
    assert not URGENT - set(EVENT_TYPES)
    assert all(readers[topic] for topic in URGENT)  # an urgent topic someone reads
    assert readers["partnership.health_warning"] == {"notifications.urgent"}
    assert readers["match.accepted"] == {"commitments.urgent", "notifications.urgent"}
    # the bulk of a registration burst stays in the services' own groups
    assert readers["match.suggested"] == {"notifications"}
    assert lane_group("matching", "need.reported") == "matching"
    assert consumer_groups("notifications") == ["notifications", "notifications.urgent"]
    assert consumer_groups("matching") == ["matching"]
    assert consumer_groups("intake") == []


@pytest.mark.parametrize("service", CONSUMING)
def test_each_consumer_reads_its_urgent_topics_in_a_lane_of_their_own(service: str) -> None:
    create_app = import_module(f"services.{service}.app").create_app
    app = create_app(Settings(_env_file=None))  # type: ignore[call-arg]
    lanes = app.state.runtime.consumer.lanes()
    mine = set(SUBSCRIPTIONS.get(service, ()))
    urgent = urgent_topics(service)
    expected = {service: mine - urgent, f"{service}.urgent": mine & urgent}
    assert {group: set(topics) for group, topics in lanes.items()} == {
        group: topics for group, topics in expected.items() if topics
    }
    assert list(lanes) == consumer_groups(service)  # the service's own lane first
