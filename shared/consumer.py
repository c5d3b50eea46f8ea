"""The idempotent consumer: every service subscribes through it.

- the processed event id is recorded under a unique key in the same transaction as the work,
  so a redelivered event has no second effect;
- the Kafka offset is committed only after that transaction commits;
- a message that cannot be parsed, or keeps failing, goes to `<topic>.dlq` with the reason,
  and the consumer moves on to the next one;
- a service is one Kafka consumer group over all its topics: one join at start-up, and its
  replicas share the partitions. `joined` is set once the group has assigned partitions.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiokafka import ConsumerRebalanceListener, TopicPartition
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage
from pydantic import ValidationError
from pymongo.errors import DuplicateKeyError

from shared.contracts import EVENT_TYPES, Payload
from shared.events import Envelope, dlq_topic, utcnow
from shared.mongo import EVENT_RETRY_SECONDS, retry_transient
from shared.outbox import Outbox, Transaction

log = logging.getLogger(__name__)

PROCESSED = "processed_events"
P = TypeVar("P", bound=Payload)
Handler = Callable[[P, Envelope, Transaction], Awaitable[None]]


async def _undecoded(message: StreamMessage[Any]) -> bytes:
    """FastStream would parse JSON before the handler runs, and a poison body would then fail
    outside our DLQ logic; `process` parses and validates the body itself."""
    return message.body


class AlreadyProcessed(Exception):
    pass


class _JoinListener(ConsumerRebalanceListener):
    def __init__(self, joined: asyncio.Event) -> None:
        self._joined = joined

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        return None

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self._joined.set()


class EventConsumer:
    def __init__(
        self,
        broker: KafkaBroker,
        outbox: Outbox,
        group: str,
        *,
        max_attempts: int = 3,
        fetch_max_wait_ms: int = 500,
    ) -> None:
        self._broker = broker
        self._outbox = outbox
        self.group = group
        self._max_attempts = max_attempts
        self._fetch_max_wait_ms = fetch_max_wait_ms
        self._routes: dict[str, tuple[type[Payload], Handler[Any]]] = {}
        # Set when the group has joined (or there is nothing to consume): part of readiness.
        self.joined = asyncio.Event()

    @property
    def topics(self) -> list[str]:
        return list(self._routes)

    def topics_with_dlq(self) -> list[str]:
        return [name for topic in self._routes for name in (topic, dlq_topic(topic))]

    def subscribe(self, topic: str, handler: Handler[P], model: type[P] | None = None) -> None:
        """Registers the handler of a topic; `attach` then subscribes to them all at once."""
        self._routes[topic] = (model or EVENT_TYPES[topic], handler)

    def attach(self) -> None:
        """Subscribes the service's group to every registered topic (before the broker starts)."""
        if not self._routes:
            self.joined.set()
            return

        async def on_message(message: KafkaMessage) -> None:
            topic = message.raw_message.topic  # type: ignore[union-attr]
            model, handler = self._routes[topic]
            await self.process(topic, model, handler, message)

        on_message.__name__ = f"{self.group}_events"
        self._broker.subscriber(
            *self._routes,
            group_id=self.group,
            auto_offset_reset="earliest",
            # how long an idle fetch waits for data: latency versus idle polling (BENCHMARKS)
            fetch_max_wait_ms=self._fetch_max_wait_ms,
            ack_policy=AckPolicy.NACK_ON_ERROR,
            decoder=_undecoded,
            listener=_JoinListener(self.joined),
            title=f"{self.group}:events",
        )(on_message)

    async def process(
        self, topic: str, model: type[P], handler: Handler[P], message: KafkaMessage
    ) -> None:
        try:
            envelope = Envelope.from_headers(message.headers)
            payload = model.model_validate_json(message.body)
        except (ValueError, ValidationError) as exc:
            await self._dead_letter(topic, message, f"unparseable event: {exc}")
            return

        last_error: Exception | None = None
        for attempt in range(1, self._max_attempts + 1):
            try:
                await retry_transient(
                    lambda: self._handle(topic, payload, envelope, handler), EVENT_RETRY_SECONDS
                )
                return
            except AlreadyProcessed:
                log.info("%s: event %s already processed; skipped", self.group, envelope.id)
                return
            except Exception as exc:
                last_error = exc
                log.warning(
                    "%s: %s %s failed (attempt %d/%d): %r",
                    self.group,
                    topic,
                    envelope.id,
                    attempt,
                    self._max_attempts,
                    exc,
                )
                await asyncio.sleep(0.1 * 2**attempt)
        await self._dead_letter(
            topic, message, f"failed after {self._max_attempts} attempts: {last_error!r}"
        )

    async def _handle(
        self, topic: str, payload: P, envelope: Envelope, handler: Handler[P]
    ) -> None:
        async with self._outbox.transaction() as tx:
            await self._record(envelope, topic, tx)
            await handler(payload, envelope, tx)

    async def _record(self, envelope: Envelope, topic: str, tx: Transaction) -> None:
        processed = tx.outbox.database[PROCESSED]
        try:
            await processed.insert_one(
                {"_id": f"{self.group}:{envelope.id}", "topic": topic, "at": utcnow()},
                session=tx.session,
            )
        except DuplicateKeyError as exc:
            raise AlreadyProcessed from exc

    async def _dead_letter(self, topic: str, message: KafkaMessage, reason: str) -> None:
        log.error("%s: %s message sent to %s: %s", self.group, topic, dlq_topic(topic), reason)
        headers = {
            **message.headers,
            "dlq_reason": reason[:2000],
            "dlq_consumer": self.group,
            "dlq_source_topic": topic,
        }
        await self._broker.publish(
            message.body,
            topic=dlq_topic(topic),
            key=getattr(message.raw_message, "key", None),
            headers=headers,
        )
