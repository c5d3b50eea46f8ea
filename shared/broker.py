"""The Kafka broker every process uses: acks=all, FastStream's telemetry middleware (with the
current messaging conventions, `shared.kafka_telemetry`) so one trace follows an event through
every consumer."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from faststream.kafka import KafkaBroker
from opentelemetry.sdk.trace import TracerProvider

from shared.kafka_telemetry import kafka_telemetry
from shared.settings import Settings


def kafka_broker(settings: Settings, service: str, provider: TracerProvider) -> KafkaBroker:
    return KafkaBroker(
        settings.kafka_bootstrap,
        acks="all",
        client_id=f"commonweave-{service}",
        middlewares=[kafka_telemetry(provider)],
        logger=logging.getLogger(f"{service}.kafka"),
        graceful_timeout=10.0,
        # Refresh metadata often enough that consumers pick up partitions added to a topic
        # (by an operator, or by a restarted embedded broker auto-creating it) within seconds.
        metadata_max_age_ms=settings.kafka_metadata_max_age_ms,
    )


async def ensure_topics(settings: Settings, topics: list[str]) -> None:
    """Creates the topics a service reads or writes (and their DLQs) if missing, so consumers
    never wait on a topic that does not exist yet. Existing topics are left as they are."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [
                NewTopic(topic, settings.topic_partitions, settings.topic_replication)
                for topic in topics
            ]
        )  # "already exists" comes back per topic in the response, not as an exception
    finally:
        await admin.close()


async def cluster_id(settings: Settings) -> str:
    """The broker's cluster id: a new one means a new log (the embedded broker is started
    with a fresh id each time, because it keeps nothing across a restart)."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        found: str = (await admin.describe_cluster())["cluster_id"]
        return found
    finally:
        await admin.close()


@dataclass
class BrokerAdmin:
    """What the outbox relay asks of the broker besides publishing."""

    settings: Settings

    async def ensure_topics(self, topics: list[str]) -> None:
        await ensure_topics(self.settings, topics)

    async def cluster_id(self) -> str:
        return await cluster_id(self.settings)
