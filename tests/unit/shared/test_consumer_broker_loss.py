"""A broker that lost its log (a new cluster id): the consumer reads every partition it is
assigned from the beginning again, once, rather than going on from positions in the old log;
a broker that does not answer for a while is not taken for a new one."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any, cast

from aiokafka import TopicPartition

from shared.consumer import PARKED, EventConsumer

ASSIGNED = {TopicPartition("organization.registered", 0), TopicPartition("match.suggested", 2)}


class Consumer:
    """What `follow_broker` uses of aiokafka's consumer."""

    def __init__(self) -> None:
        self.seeks: list[set[TopicPartition]] = []

    def assignment(self) -> set[TopicPartition]:
        return ASSIGNED

    async def seek_to_beginning(self, *partitions: TopicPartition) -> bool:
        self.seeks.append(set(partitions))
        return True


async def follow(answers: list[str | None], lanes: int = 1) -> list[Consumer]:
    """Runs `follow_broker` over the cluster ids in `answers` (None: the broker is away), with
    one Kafka consumer per lane."""
    outbox = SimpleNamespace(database={PARKED: None})
    events = EventConsumer(cast(Any, None), cast(Any, outbox), "matching")
    consumers = [Consumer() for _ in range(lanes)]
    events._subscribers = [SimpleNamespace(consumer=consumer) for consumer in consumers]
    asked = asyncio.Event()
    left = list(answers)

    async def cluster_id() -> str:
        if not left:
            asked.set()
            await asyncio.sleep(3600)
        answer = left.pop(0)
        if answer is None:
            raise ConnectionError("broker away")
        return answer

    following = asyncio.create_task(events.follow_broker(cluster_id, every=0))
    await asyncio.wait_for(asked.wait(), 5)
    following.cancel()
    return consumers


async def test_a_new_cluster_id_reads_every_assigned_partition_from_the_beginning() -> None:
    [consumer] = await follow(["old", "old", None, None, "new", "new"])
    assert consumer.seeks == [ASSIGNED]


async def test_a_new_cluster_id_rewinds_every_lane() -> None:
    bulk, urgent = await follow(["old", "new"], lanes=2)
    assert bulk.seeks == urgent.seeks == [ASSIGNED]


async def test_the_same_broker_back_after_an_outage_is_left_alone() -> None:
    [consumer] = await follow(["same", None, None, "same", "same"])
    assert consumer.seeks == []


async def test_a_consumer_without_topics_does_not_ask() -> None:
    outbox = SimpleNamespace(database={PARKED: None})
    events = EventConsumer(cast(Any, None), cast(Any, outbox), "intake")

    async def cluster_id() -> str:
        raise AssertionError("asked")

    await asyncio.wait_for(events.follow_broker(cluster_id), 1)
