"""No event is lost while Kafka is down: registrations are accepted into the outbox, and once
the broker is back every event arrives exactly once downstream."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pymongo import MongoClient

from deploy.stack import Stack
from tests.support.notifications import INBOX
from tests.support.organizations import REGISTER, registration
from tests.support.stack import Client, create_network, stack_settings
from tests.support.wait import eventually


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    data_dir: Path = tmp_path_factory.mktemp("fault")
    with Stack(stack_settings(data_dir), report=lambda line: None) as running:
        yield running


def test_registrations_survive_a_broker_outage(own_stack: Stack) -> None:
    network = create_network(own_stack)
    operator = Client(own_stack.graphql_url, network["operatorToken"])
    own_stack.stop_component("broker")

    tokens = []
    for i in range(3):
        data = operator.data(
            REGISTER,
            {"input": registration(network["networkId"], f"Outage Org {i}", f"o{i}@x.org")},
        )
        tokens.append(data["registerOrganization"]["adminToken"])
    with MongoClient(own_stack.settings.mongo_url) as mongo:
        outbox = mongo[own_stack.settings.database_name("intake")]["outbox"]
        assert outbox.count_documents({"sent_at": None}) >= 3

        own_stack.start_component("broker")
        admins = [operator.as_(token) for token in tokens]
        for admin in admins:
            eventually(lambda a=admin: a.data(INBOX)["notifications"]["edges"], timeout=60)
        assert eventually(lambda: outbox.count_documents({"sent_at": None}) == 0)
    for admin in admins:  # exactly one welcome each (match suggestions may come on top)
        edges = admin.data(INBOX)["notifications"]["edges"]
        assert [e["node"]["kind"] for e in edges].count("organization.registered") == 1
