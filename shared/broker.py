"""The Kafka broker every process uses: acks=all, FastStream's telemetry middleware so one
trace follows an event through every consumer."""

from __future__ import annotations

import logging

from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from opentelemetry.sdk.trace import TracerProvider

from shared.settings import Settings


def kafka_broker(settings: Settings, service: str, provider: TracerProvider) -> KafkaBroker:
    return KafkaBroker(
        settings.kafka_bootstrap,
        acks="all",
        client_id=f"commonweave-{service}",
        middlewares=[KafkaTelemetryMiddleware(tracer_provider=provider)],
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
