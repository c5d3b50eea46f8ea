"""The contract of who reads each topic (shared/contracts/subscribers.py) is what the services
subscribe to: an outbox relay trusts it to decide what a lost broker needs again, so a group
missing from it would lose events at the next broker restart."""

from __future__ import annotations

from importlib import import_module

import pytest

from shared.contracts import EVENT_TYPES
from shared.contracts.subscribers import SUBSCRIPTIONS, subscribers
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
    assert readers["organization.registered"] == {"matching", "commitments", "notifications"}
