"""A broker restart on a stack whose consumers have caught up: the outbox relays send again
none of the events every subscribing group had read from the lost broker, and an event one
group had not read yet (its service was stopped) is sent again, and has its effect once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient

from deploy.stack import Stack
from shared.contracts.subscribers import subscribers
from shared.outbox import OUTBOX, RELAY_STATE
from shared.settings import Settings
from tests.support.notifications import INBOX
from tests.support.organizations import register
from tests.support.stack import Client, create_network, stack_settings
from tests.support.wait import eventually

PUBLISHERS = ("intake", "matching", "commitments")
READERS = subscribers()


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    data_dir: Path = tmp_path_factory.mktemp("replay")
    with Stack(stack_settings(data_dir), report=lambda line: None) as running:
        yield running


def welcomes(admin: Client) -> int:
    edges = admin.data(INBOX)["notifications"]["edges"]
    return [e["node"]["kind"] for e in edges].count("organization.registered")


def unconfirmed(mongo: MongoClient[Any], settings: Settings, service: str) -> list[str]:
    """The sent events of `service` that its relay does not know every reader has read."""
    db = mongo[settings.database_name(service)]
    state = db[RELAY_STATE].find_one({"_id": "broker"}) or {}
    passed = {(t, p): o for t, p, o in state.get("delivered", [])}
    return [
        f"{e['topic']} {e['_id']}"
        for e in db[OUTBOX].find({"sent_at": {"$ne": None}})
        if READERS.get(e["topic"])
        and not (
            e.get("broker") == state.get("cluster_id")
            and e["sent_at"] <= state["confirmed_at"]
            and e.get("offset") is not None
            and e["offset"] < passed.get((e["topic"], e["partition"]), 0)
        )
    ]


def brokers(mongo: MongoClient[Any], settings: Settings) -> dict[str, str | None]:
    """Every outbox event's id and the broker it was last sent to."""
    return {
        e["_id"]: e.get("broker")
        for service in PUBLISHERS
        for e in mongo[settings.database_name(service)][OUTBOX].find({}, {"broker": 1})
    }


def test_a_restarted_broker_gets_again_only_what_a_group_had_not_read(own_stack: Stack) -> None:
    settings = own_stack.settings
    network = create_network(own_stack)
    operator = Client(own_stack.graphql_url, network["operatorToken"])
    read = [
        operator.as_(register(operator, network["networkId"], f"Read {i}")["adminToken"])
        for i in range(3)
    ]
    for admin in read:
        eventually(lambda a=admin: welcomes(a) == 1, timeout=60)
    with MongoClient(settings.mongo_url, tz_aware=True) as mongo:
        for service in PUBLISHERS:  # the relays have looked at the groups' positions since
            eventually(lambda s=service: not unconfirmed(mongo, settings, s), timeout=30)
        consumed = brokers(mongo, settings)
        [old_cluster] = set(consumed.values())

        own_stack.stop_component("notifications")  # its group reads nothing from now on
        late = register(operator, network["networkId"], "Late")
        intake = mongo[settings.database_name("intake")][OUTBOX]
        late_welcome = intake.find_one(
            {"topic": "organization.registered", "key": late["organization"]["id"]}
        )
        assert late_welcome is not None
        eventually(lambda: intake.find_one({"_id": late_welcome["_id"], "sent_at": {"$ne": None}}))

        own_stack.stop_component("broker")
        own_stack.start_component("broker")  # a new cluster id: it lost its log
        own_stack.start_component("notifications")

        late_admin = operator.as_(late["adminToken"])
        eventually(lambda: welcomes(late_admin) == 1, timeout=90)
        after = brokers(mongo, settings)
        assert after[late_welcome["_id"]] not in (None, old_cluster)  # sent again
        resent = [e for e, broker in consumed.items() if after.get(e) != broker]
        assert resent == []  # nothing every group had read
    for admin in [*read, late_admin]:  # and every effect once
        assert welcomes(admin) == 1
