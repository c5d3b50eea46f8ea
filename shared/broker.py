"""The Kafka broker every process uses: acks=all, FastStream's telemetry middleware (with the
current messaging conventions, `shared.kafka_telemetry`) so one trace follows an event through
every consumer."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from typing import Any

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from faststream.kafka import KafkaBroker
from opentelemetry.sdk.trace import TracerProvider

from shared.kafka_security import kafka_client_options, kafka_security
from shared.kafka_telemetry import kafka_telemetry
from shared.message_log import MessageLog
from shared.settings import Settings


class LanesBroker(KafkaBroker):
    """FastStream's Kafka broker, its subscribers started together: aiokafka's consumer start
    waits until its group has assigned it partitions, which a broker delays for a new group
    (Kafka's `group.initial.rebalance.delay.ms`, 3 s by default; the embedded broker alike),
    and FastStream starts them one after the other, so a service with two lanes took 6 s to
    join instead of 3 (commitments and notifications: a stack ready in 9.8 s, 7.4 s with
    this)."""

    async def start(self) -> None:
        await self.connect()
        await asyncio.gather(*(subscriber.start() for subscriber in self.subscribers))
        for publisher in self.publishers:
            await publisher.start()
        self.running = True


def kafka_broker(settings: Settings, service: str, provider: TracerProvider) -> KafkaBroker:
    logger = logging.getLogger(f"{service}.kafka")
    return LanesBroker(
        settings.kafka_bootstrap,
        security=kafka_security(settings),
        acks="all",
        client_id=f"commonweave-{service}",
        # MessageLog writes "Received"/"Processed" inside the process span (with its ids);
        # FastStream's own copies of those lines, outside it, go to DEBUG
        middlewares=[kafka_telemetry(provider), MessageLog(logger)],
        logger=logger,
        log_level=logging.DEBUG,
        # On SIGTERM, a handler in flight has this long to finish, then it is cancelled (its
        # event not committed, so it comes again). The lanes stop together (FastStream stops
        # every subscriber in one task group): well below the runner's 10 s before SIGKILL, so a
        # handler retrying against a full disk no longer holds the stop up until the kill
        # (matching and notifications did, in the health tests). A handler takes milliseconds.
        graceful_timeout=3.0,
        # Refresh metadata often enough that consumers pick up partitions added to a topic
        # (by an operator, or by a restarted embedded broker auto-creating it) within seconds.
        metadata_max_age_ms=settings.kafka_metadata_max_age_ms,
    )


async def create_topics(admin: AIOKafkaAdminClient, settings: Settings, topics: list[str]) -> None:
    """Creates the topics a service reads or writes (and their DLQs) if missing, so consumers
    never wait on a topic that does not exist yet. Existing topics are left as they are."""
    await admin.create_topics(
        [NewTopic(topic, settings.topic_partitions, settings.topic_replication) for topic in topics]
    )  # "already exists" comes back per topic in the response, not as an exception


async def ensure_topics(settings: Settings, topics: list[str]) -> None:
    """`create_topics` over a client of its own (at start-up, before the relay runs)."""
    admin = BrokerAdmin(settings)
    try:
        await admin.ensure_topics(topics)
    finally:
        await admin.close()


# A hung broker (paused, or its packets dropped) answers nothing until aiokafka's request
# timeout, 40 s: the outbox relay asks between reading the outbox and publishing, so its
# loop, and the backlog gauges it refreshes, stood still that long (RELIABILITY.md).
QUESTION_SECONDS = 5.0


class BrokerAdmin:
    """What the outbox relay and the consumer ask of the broker besides publishing, over one
    admin client kept open (both ask for the cluster id every few seconds; a client per
    question cost a connection and a metadata round trip each time). A question is answered
    within `QUESTION_SECONDS` or raises. Any failure drops the client, and the next question
    opens a new one."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: AIOKafkaAdminClient | None = None
        self._opening = asyncio.Lock()  # two tasks asking at once open one client

    async def _admin(self) -> AIOKafkaAdminClient:
        async with self._opening:
            if self._client is None:
                client = AIOKafkaAdminClient(**kafka_client_options(self.settings))
                try:
                    await client.start()
                except BaseException:  # a timeout's cancellation too: no half-open client left
                    with suppress(Exception):
                        await client.close()
                    raise
                self._client = client
            return self._client

    async def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with suppress(Exception):
                await client.close()

    async def ensure_topics(self, topics: list[str]) -> None:
        try:
            await create_topics(await self._admin(), self.settings, topics)
        except BaseException:
            await self._drop()
            raise

    async def cluster_id(self) -> str:
        async def ask() -> str:
            found: str = (await (await self._admin()).describe_cluster())["cluster_id"]
            return found

        try:
            return await asyncio.wait_for(ask(), QUESTION_SECONDS)
        except BaseException:
            await self._drop()
            raise

    async def committed(
        self, group: str, partitions: list[tuple[str, int]]
    ) -> dict[tuple[str, int], int]:
        """The offsets `group` has committed on `partitions` (topic, partition): the next
        record it reads there, everything below it processed; -1 where it committed none.
        One OffsetFetch, naming the partitions (the embedded broker cannot answer the
        form that asks for all of a group's)."""
        wanted = [TopicPartition(topic, partition) for topic, partition in partitions]

        async def ask() -> dict[TopicPartition, Any]:
            admin = await self._admin()
            return await admin.list_consumer_group_offsets(group, partitions=wanted)

        try:
            found = await asyncio.wait_for(ask(), QUESTION_SECONDS)
        except BaseException:
            await self._drop()
            raise
        return {(tp.topic, tp.partition): meta.offset for tp, meta in found.items()}

    async def close(self) -> None:
        await self._drop()
