"""What the outbox relay sends again to a broker that lost its log: only the events some
subscribing consumer group had not committed past (by the partition and offset of each
event's ack), none of a topic no group reads, and those paced, with an aggregate's own
marked events pulled ahead of its new one. On the in-memory document store, with a broker
that keeps its log in memory (partition 0 of each topic) and forgets it on `lose()`."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from pymongo import AsyncMongoClient

from shared.contracts import Payload
from shared.contracts.subscribers import subscribers
from shared.mongo import Database, Document, ensure_indexes, transaction
from shared.outbox import Outbox, OutboxRelay, outbox_indexes

REGISTERED = "organization.registered"  # read by matching, commitments and notifications
CREATED = "notification.created"  # read by no group
READERS = tuple(sorted(subscribers()[REGISTERED]))  # its groups: notifications' urgent lane


class Ping(Payload):
    n: int


@dataclass(frozen=True)
class Ack:
    partition: int
    offset: int


class Kafka:
    """The broker and its admin API: a log per topic, the groups' committed offsets."""

    def __init__(self) -> None:
        self.cluster = "cluster-1"
        self.logs: dict[str, list[int]] = defaultdict(list)
        self.offsets: dict[str, dict[tuple[str, int], int]] = defaultdict(dict)

    async def publish(self, body: bytes, *, topic: str, **_: Any) -> asyncio.Future[Ack]:
        self.logs[topic].append(Ping.model_validate_json(body).n)
        ack: asyncio.Future[Ack] = asyncio.get_running_loop().create_future()
        ack.set_result(Ack(0, len(self.logs[topic]) - 1))
        return ack

    async def ensure_topics(self, topics: list[str]) -> None:
        return None

    async def cluster_id(self) -> str:
        return self.cluster

    async def committed(
        self, group: str, partitions: list[tuple[str, int]]
    ) -> dict[tuple[str, int], int]:
        return {where: self.offsets[group].get(where, -1) for where in partitions}

    def read(self, group: str, topic: str, upto: int) -> None:
        """`group` processed the first `upto` records of `topic` and committed."""
        self.offsets[group][(topic, 0)] = upto

    def lose(self) -> None:
        self.cluster += "+"
        self.logs.clear()
        self.offsets.clear()


async def write(outbox: Outbox, events: list[tuple[str, str, int]]) -> None:
    async with transaction(outbox.client) as session:
        await outbox.add_many(session, [(topic, key, Ping(n=n)) for topic, key, n in events])


def relay_of(outbox: Outbox, kafka: Kafka, per_second: float = 1000.0) -> OutboxRelay:
    return OutboxRelay(
        outbox,
        cast(Any, kafka),
        kafka,
        30.0,
        timedelta(hours=1),
        replay_per_second=per_second,
    )


async def outbox_of(mongo: AsyncMongoClient[Document], database: Database) -> Outbox:
    await ensure_indexes(database, outbox_indexes(timedelta(hours=1)))
    return Outbox(mongo, database, "test")


async def test_a_lost_broker_gets_again_only_what_some_group_had_not_read(
    mongo: AsyncMongoClient[Document], database: Database
) -> None:
    outbox, kafka = await outbox_of(mongo, database), Kafka()
    relay = relay_of(outbox, kafka)
    await write(outbox, [(REGISTERED, f"org_{n}", n) for n in range(3)] + [(CREATED, "x", 9)])
    assert await relay.publish_pending() == 4
    for group in READERS:  # every group read the first two; matching also the third
        kafka.read(group, REGISTERED, 3 if group == "matching" else 2)
    await relay.replay_if_broker_lost()  # the periodic look at the groups' positions
    assert relay.delivered[(REGISTERED, 0)] == 2

    kafka.lose()
    await relay._lease.release()  # stopped
    restarted = relay_of(outbox, kafka)  # `make run` again: a new process, the same outbox
    assert await restarted.replay_if_broker_lost() == 1
    assert await restarted.publish_pending() == 1
    assert kafka.logs == {REGISTERED: [2]}  # not the two read, not the one no group reads
    assert await restarted.publish_pending() == 0


async def test_an_event_sent_after_the_last_look_is_sent_again(
    mongo: AsyncMongoClient[Document], database: Database
) -> None:
    """Its ack may have come from the new broker already: nothing says the old one has it."""
    outbox, kafka = await outbox_of(mongo, database), Kafka()
    relay = relay_of(outbox, kafka)
    await write(outbox, [(REGISTERED, "org_0", 0)])
    assert await relay.publish_pending() == 1
    for group in READERS:
        kafka.read(group, REGISTERED, 1)
    await relay.replay_if_broker_lost()
    await write(outbox, [(REGISTERED, "org_1", 1)])
    assert await relay.publish_pending() == 1  # no look since (its interval has not passed)
    for group in READERS:
        kafka.read(group, REGISTERED, 2)
    kafka.lose()
    assert await relay.replay_if_broker_lost() == 1
    assert await relay.publish_pending() == 1
    assert kafka.logs == {REGISTERED: [1]}


async def test_the_replay_is_paced_and_an_aggregates_own_goes_before_its_new_event(
    mongo: AsyncMongoClient[Document], database: Database
) -> None:
    outbox, kafka = await outbox_of(mongo, database), Kafka()
    relay = relay_of(outbox, kafka, per_second=5)
    await write(outbox, [(REGISTERED, f"org_{n}", n) for n in range(20)])
    assert await relay.publish_pending() == 20  # the first send is not a replay: not paced
    kafka.lose()
    assert await relay.replay_if_broker_lost() == 20  # no group had read any

    await write(outbox, [(REGISTERED, "org_15", 100)])  # someone acts on org_15 now
    assert await relay.publish_pending() == 7
    # five of the replay (a second's worth), org_15's old event, then its new one
    assert kafka.logs[REGISTERED] == [0, 1, 2, 3, 4, 15, 100]
    began, sent = time.monotonic(), 7
    while sent < 21:  # the other 14, at 5/s
        sent += await relay.publish_pending()
        await asyncio.sleep(0.05)
    assert time.monotonic() - began >= 14 / 5 - 1  # a second's worth at most in one go
    assert sorted(kafka.logs[REGISTERED]) == [*range(20), 100]  # each once
