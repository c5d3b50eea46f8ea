"""The idempotent consumer: every service subscribes through it.

- the processed event id is recorded under a unique key in the same transaction as the work,
  so a redelivered event has no second effect;
- the Kafka offset is committed only after that transaction commits;
- a message that cannot be parsed, or keeps failing, goes to `<topic>.dlq` with the reason,
  and the consumer moves on to the next one;
- an event about something the service has not heard of yet (events of different topics
  have no order between them) is parked and retried with backoff until its prerequisite has
  arrived (`NotYetKnown`), never dropped;
- a service reads its topics in two lanes (shared/contracts/subscribers.py): its urgent topics
  (early warnings, deadlines passed, a member's own actions) in the consumer group
  `<service>.urgent`, the rest in `<service>`. Each lane is a FastStream subscriber of its own:
  its own aiokafka consumer, fetch loop and handling task, so a backlog of bulk events (a
  registration burst's match suggestions) never holds up an urgent one (RELIABILITY.md,
  finding 6). Both lanes go through the same `process`: the same processed ids (named after
  the service, whatever the lane), DLQ and parking. A lane's replicas share its partitions;
  `joined` is set once every lane's group has assigned partitions. A partition a lane's group
  has never committed on starts where the other lane's group left it, if it did: a topic moved
  between lanes is neither read again from the earliest nor skipped;
- a broker that lost its log (a new cluster id: the embedded one, restarted) gets again from
  the outbox relays what this group (or another) had not committed past, at new offsets:
  `follow_broker` then reads every assigned partition from the beginning, rather than going
  on from positions in the old log;
- within a lane, a fetch takes a few events per partition (`max_partition_fetch_bytes`), so
  the consumer mostly goes round its partitions a few events at a time (not always, which is
  why urgent topics have a lane of their own);
- a lane takes what the broker has in batches (FastStream's batch subscriber over aiokafka's
  `getmany`: at most `batch_max_records` events, waiting at most `batch_timeout_ms` when none
  is there) and handles a batch in one transaction (shared/consumer_batch.py); a batch whose
  handler fails is split there, that event handled alone as described above. The lane
  commits its offsets once the batch is handled, never before its transactions committed;
- the parked events' loop sleeps until the earliest of them is due, or until an event one of
  them waits for is handled here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any, TypeVar

from aiokafka import ConsumerRebalanceListener, TopicPartition
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage
from opentelemetry.trace import TracerProvider
from pydantic import ValidationError
from pymongo import ASCENDING, IndexModel

from shared.consumer_batch import (
    BatchWork,
    HandlerFailed,
    current_tracer,
    event_span,
    first_of_each,
    handle_batch,
)
from shared.consumer_delivery import Delivery, Parsed, processed_key
from shared.consumer_metrics import EXPIRED, FAILED, UNPARSEABLE, ConsumerMetrics
from shared.consumer_parking import PARKED, NotYetKnown, ParkingLot
from shared.contracts import EVENT_TYPES, Payload
from shared.contracts.subscribers import lane_group, lane_groups
from shared.events import Envelope, dlq_topic
from shared.faults import Faults
from shared.mongo import EVENT_RETRY_SECONDS, Document, IndexSpec, retry_transient
from shared.outbox import Outbox
from shared.unit_of_work import PROCESSED, AlreadyProcessed, MongoUnitOfWork

log = logging.getLogger(__name__)

P = TypeVar("P", bound=Payload)


def consumer_indexes(keep_processed: timedelta) -> IndexSpec:
    """Processed ids are kept at least as long as an event can come again (the outbox's
    replay window), then expire; parked events are found by when they are due, and by what
    they wait for (released when it arrives)."""
    seconds = int(keep_processed.total_seconds())
    return {
        PROCESSED: [IndexModel([("at", ASCENDING)], expireAfterSeconds=seconds)],
        PARKED: [IndexModel([("next_at", ASCENDING)]), IndexModel([("waiting_for", ASCENDING)])],
    }


# A handler takes the event, its envelope and the unit of work it runs in: the service's own
# (`use_unit_of_work`), or a plain `MongoUnitOfWork` (the outbox and the duplicate guard only).
Handler = Callable[[P, Envelope, Any], Awaitable[None]]


async def _undecoded(message: StreamMessage[Any]) -> bytes:
    """FastStream would parse JSON before the handler runs, and a poison body would then fail
    outside our DLQ logic; `process` parses and validates the body itself."""
    return message.body


# The offsets a group has committed on (topic, partition)s, -1 where none (BrokerAdmin's)
Committed = Callable[[str, list[tuple[str, int]]], Awaitable[dict[tuple[str, int], int]]]


class _JoinListener(ConsumerRebalanceListener):
    """At each assignment of its lane's group: the partitions it never committed on start where
    the other lane left them (`take_over`); its lane is marked joined, and `joined` is set
    once every lane is."""

    def __init__(
        self,
        lane: str,
        pending: set[str],
        joined: asyncio.Event,
        take_over: Callable[[set[TopicPartition]], Awaitable[None]],
    ) -> None:
        self._lane, self._pending, self._joined = lane, pending, joined
        self._take_over = take_over

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        return None

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        await self._take_over(assigned)
        self._pending.discard(self._lane)
        if not self._pending:
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
        max_partition_fetch_bytes: int = 16 * 1024,
        session_timeout_ms: int = 10_000,
        batch_max_records: int = 50,
        batch_timeout_ms: int = 100,
        park_limit: timedelta = timedelta(hours=24),
        consumer_metrics: ConsumerMetrics | None = None,
        faults: Faults | None = None,
        urgent: frozenset[str] | None = None,  # the contract's; tests name topics of their own
        tracer_provider: TracerProvider | None = None,  # the global one if not given
    ) -> None:
        self._broker = broker
        self._outbox = outbox
        self.group = group
        self._max_attempts = max_attempts
        self._fetch_max_wait_ms = fetch_max_wait_ms
        self._max_partition_fetch_bytes = max_partition_fetch_bytes
        self._session_timeout_ms = session_timeout_ms
        self._batch_max_records = batch_max_records
        self._batch_timeout_ms = batch_timeout_ms
        self.parking = ParkingLot(outbox.database[PARKED], group, park_limit)
        self._routes: dict[str, tuple[type[Payload], Handler[Any]]] = {}
        # Set when the group has joined (or there is nothing to consume): part of readiness.
        self.joined = asyncio.Event()
        self.metrics = consumer_metrics or ConsumerMetrics(group)
        self._subscribers: list[Any] = []  # FastStream's, one per lane, once attached
        self._faults = faults  # tests only (settings.fault_injection)
        self._unit_of_work: Callable[[], MongoUnitOfWork] | None = None
        self._urgent = urgent
        self._batch_work = BatchWork(
            group,
            current_tracer(tracer_provider),
            logging.getLogger(f"{group}.kafka"),  # the broker's (shared/broker.py)
            self.parking,
            faults,
        )

    def use_unit_of_work(self, unit_of_work: Callable[[], MongoUnitOfWork]) -> None:
        """Handlers get a new unit of work of the service (its repositories) per event."""
        self._unit_of_work = unit_of_work

    @property
    def topics(self) -> list[str]:
        return list(self._routes)

    def topics_with_dlq(self) -> list[str]:
        return [name for topic in self._routes for name in (topic, dlq_topic(topic))]

    def subscribe(self, topic: str, handler: Handler[P], model: type[P] | None = None) -> None:
        """Registers the handler of a topic; `attach` then subscribes to them all at once."""
        self._routes[topic] = (model or EVENT_TYPES[topic], handler)

    def lanes(self) -> dict[str, list[str]]:
        """The registered topics by the consumer group of their lane, the service's own first."""
        lanes: dict[str, list[str]] = {}
        for topic in self._routes:
            lanes.setdefault(lane_group(self.group, topic, self._urgent), []).append(topic)
        return dict(sorted(lanes.items(), key=lambda lane: lane[0] != self.group))

    def attach(self, committed: Committed | None = None) -> None:
        """Subscribes one consumer group per lane to its topics (before the broker starts);
        `committed` answers a group's committed offsets (for a lane's take-over)."""
        lanes = self.lanes()
        if not lanes:
            self.joined.set()
            return
        pending = set(lanes)
        for group, topics in lanes.items():
            lane: list[Any] = []  # its subscriber, once made: the listener seeks its consumer

            async def take_over(
                assigned: set[TopicPartition], group: str = group, lane: list[Any] = lane
            ) -> None:
                if committed is not None and assigned:
                    await self._take_over(group, lane[0].consumer, assigned, committed)

            listener = _JoinListener(group, pending, self.joined, take_over)
            lane.append(self._subscribe_lane(group, topics, listener))
            self._subscribers += lane
        self.metrics.observe_lag(lambda: [s.consumer for s in self._subscribers if s.consumer])

    async def _take_over(
        self, group: str, consumer: Any, assigned: set[TopicPartition], committed: Committed
    ) -> None:
        """A topic moved between lanes (shared/contracts/subscribers.py) has no committed offset
        in its new lane's group, which would read it from the earliest: past the processed ids'
        window, events handled long ago would be handled again. Each such partition starts
        where the other lane's group committed, if it did; a failure to ask leaves the
        earliest (the processed ids still drop the window's). The partitions are paused
        meanwhile: aiokafka's fetcher runs during this listener and would hand out records
        from the earliest before the seek."""
        wanted = sorted((tp.topic, tp.partition) for tp in assigned)
        consumer.pause(*assigned)
        try:
            mine = await committed(group, wanted)
            never = [where for where in wanted if mine.get(where, -1) < 0]
            for other in lane_groups(self.group):
                if other == group or not never:
                    continue
                theirs = await committed(other, never)
                for (topic, partition), offset in sorted(theirs.items()):
                    if offset >= 0:
                        consumer.seek(TopicPartition(topic, partition), offset)
                        log.info(
                            "%s: %s[%d] starts at %d, where %s left it",
                            group,
                            topic,
                            partition,
                            offset,
                            other,
                        )
        except Exception as exc:
            log.warning("%s: the other lane's offsets not read (%r)", group, exc)
        finally:
            consumer.resume(*assigned)

    def _subscribe_lane(self, group: str, topics: list[str], listener: _JoinListener) -> Any:
        async def on_batch(message: KafkaMessage) -> None:
            records: Sequence[Any] = message.raw_message  # a batch: a tuple of records
            deliveries = [Delivery.of_record(record) for record in records]
            for delivery in deliveries:
                self.metrics.received(delivery.topic)
            await self.process_batch(deliveries)

        on_batch.__name__ = f"{group.replace('.', '_')}_events"
        subscriber = self._broker.subscriber(
            *topics,
            group_id=group,
            # what the broker has, bounded: a batch is one transaction (shared/consumer_batch.py)
            batch=True,
            max_records=self._batch_max_records,
            batch_timeout_ms=self._batch_timeout_ms,
            auto_offset_reset="earliest",
            # how long an idle fetch waits for data: latency versus idle polling (BENCHMARKS)
            fetch_max_wait_ms=self._fetch_max_wait_ms,
            # aiokafka hands out one partition's fetched records until they are used up, then
            # the next's: a small fetch per partition makes that a round of a few events each
            max_partition_fetch_bytes=self._max_partition_fetch_bytes,
            session_timeout_ms=self._session_timeout_ms,
            heartbeat_interval_ms=self._session_timeout_ms // 3,
            ack_policy=AckPolicy.NACK_ON_ERROR,
            decoder=_undecoded,
            listener=listener,
            title=f"{group}:events",
        )
        subscriber(on_batch)
        return subscriber

    async def follow_broker(
        self, cluster_id: Callable[[], Awaitable[str]], every: float = 3.0
    ) -> None:
        """Asks the broker's cluster id every `every` seconds (a background task of the
        service); when it changes, the broker lost its log, and the consumer's positions (and
        any records fetched from them) belong to the old one. The group's rejoin would reset
        them from the new broker's committed offsets (none: the earliest) once the broker
        refuses the old member, but a fetch from a stale position meanwhile would skip events
        the relays' replay put below it: every assigned partition is read from the beginning
        now. What was processed already is dropped by its recorded id."""
        if not self._subscribers:  # nothing consumed here
            return
        known: str | None = None
        while True:
            try:
                current = await cluster_id()
                if known is not None and current != known:
                    await self._rewind(f"cluster {current}, was {known}")
                known = current
            except Exception as exc:  # the broker is away: asked again, `known` kept
                log.debug("%s: cluster id not known (%r)", self.group, exc)
            await asyncio.sleep(every)

    async def _rewind(self, why: str) -> None:
        rewound = 0
        for subscriber in self._subscribers:  # every lane's consumer
            consumer = subscriber.consumer
            assigned = consumer.assignment() if consumer is not None else set()
            if assigned:
                await consumer.seek_to_beginning(*assigned)
            rewound += len(assigned)
        log.warning(
            "%s: the broker lost its log (%s); %d assigned partitions read from the beginning",
            self.group,
            why,
            rewound,
        )

    async def process_batch(self, deliveries: Sequence[Delivery]) -> None:
        """A lane's batch: the unparseable to the DLQ, the rest in one transaction
        (shared/consumer_batch.py), split where it fails."""
        if len(deliveries) == 1:  # alone, it takes the per-event path (no batch to save on)
            with self._span(deliveries[0]):
                await self.process(deliveries[0])
            return
        batch: list[Parsed] = []
        for delivery in deliveries:
            found = self._read(delivery)
            if isinstance(found, Parsed):
                batch.append(found)
            else:
                with self._span(delivery):
                    await self._unparseable(delivery, found, None)
        batch, repeats = first_of_each(batch, self.group)
        for parsed in repeats:
            log.info("%s: event %s twice in a batch; once", self.group, parsed.envelope.id)
        await self._handle_batch(batch)

    async def _handle_batch(self, batch: list[Parsed]) -> None:
        """The events in one transaction. When a handler fails (NotYetKnown included), nothing
        was written: the events before it go again as a batch, it goes alone on the per-event
        path (retried, parked or sent to the DLQ as ever), then the events after it as a
        batch, in that order. Any other failure: each event alone."""
        if len(batch) <= 1:
            for parsed in batch:
                with self._span(parsed.delivery):
                    await self._attempt(parsed, None)
            return
        try:
            handled, before = await retry_transient(  # each try in a new unit of work
                lambda: handle_batch(self._batch_work, self._new_unit_of_work(), batch),
                EVENT_RETRY_SECONDS,
            )
        except HandlerFailed as failed:
            at = next(k for k, parsed in enumerate(batch) if parsed is failed.parsed)
            log.info(
                "%s: %s %s failed in a batch of %d (%r); it alone, the rest again",
                self.group,
                failed.parsed.delivery.topic,
                failed.parsed.envelope.id,
                len(batch),
                failed.__cause__,
            )
            await self._handle_batch(batch[:at])
            await self._handle_batch([batch[at]])
            await self._handle_batch(batch[at + 1 :])
            return
        except Exception as exc:
            log.info(
                "%s: a batch of %d events failed (%r); handled one at a time",
                self.group,
                len(batch),
                exc,
            )
            for parsed in batch:
                await self._handle_batch([parsed])
            return
        for parsed in before:
            log.info("%s: event %s already processed; skipped", self.group, parsed.envelope.id)
        self.parking.arrived(parsed.envelope.subject for parsed in handled)

    def _span(self, delivery: Delivery) -> Any:
        work = self._batch_work
        return event_span(work.tracer, delivery, work.group, work.logger)

    def _new_unit_of_work(self) -> MongoUnitOfWork:
        return self._unit_of_work() if self._unit_of_work else MongoUnitOfWork(self._outbox)

    def _read(self, delivery: Delivery) -> Parsed | ValueError:
        """The event, or why its envelope or body cannot be read (pydantic's ValidationError
        is a ValueError)."""
        model, handler = self._routes[delivery.topic]
        try:
            envelope = Envelope.from_headers(delivery.headers)
            payload = model.model_validate_json(delivery.body)
        except (ValueError, ValidationError) as exc:
            return exc
        return Parsed(delivery, payload, envelope, handler)

    async def _unparseable(
        self, delivery: Delivery, error: ValueError, parked: Document | None
    ) -> None:
        await self._dead_letter(delivery, f"unparseable event: {error}", parked)
        self.metrics.dead_lettered(delivery.topic, UNPARSEABLE, error)

    async def process(self, delivery: Delivery, parked: Document | None = None) -> None:
        """One event on its own: parsed, then handled in its own transaction, retried, parked
        or sent to the DLQ."""
        found = self._read(delivery)
        if isinstance(found, Parsed):
            await self._attempt(found, parked)
        else:
            await self._unparseable(delivery, found, parked)

    async def _attempt(self, parsed: Parsed, parked: Document | None) -> None:
        delivery, payload, envelope, handler = (
            parsed.delivery,
            parsed.payload,
            parsed.envelope,
            parsed.handler,
        )
        last_error: Exception | None = None
        for attempt in range(1, self._max_attempts + 1):
            try:
                await retry_transient(
                    lambda: self._handle(delivery.topic, payload, envelope, handler, parked),
                    EVENT_RETRY_SECONDS,
                )
                self.parking.arrived([envelope.subject])
                return
            except AlreadyProcessed:
                log.info("%s: event %s already processed; skipped", self.group, envelope.id)
                if parked is not None:
                    await self.parking.unpark(parked)
                return
            except NotYetKnown as exc:
                expired = await self.parking.park(delivery, envelope, exc, parked)
                if expired is not None:
                    await self._dead_letter(delivery, expired, parked)
                    self.metrics.dead_lettered(delivery.topic, EXPIRED)
                return
            except Exception as exc:
                last_error = exc
                log.warning(
                    "%s: %s %s failed (attempt %d/%d): %r",
                    self.group,
                    delivery.topic,
                    envelope.id,
                    attempt,
                    self._max_attempts,
                    exc,
                )
                await asyncio.sleep(0.1 * 2**attempt)
        reason = f"failed after {self._max_attempts} attempts: {last_error!r}"
        await self._dead_letter(delivery, reason, parked)
        self.metrics.dead_lettered(delivery.topic, FAILED, last_error)

    async def _handle(
        self,
        topic: str,
        payload: P,
        envelope: Envelope,
        handler: Handler[P],
        parked: Document | None,
    ) -> None:
        uow = self._new_unit_of_work()
        async with uow:
            # the duplicate guard: the id is recorded with the work, or neither is
            await uow.processed(processed_key(self.group, envelope), topic)
            if self._faults is not None:
                self._faults.check(envelope)
            await handler(payload, envelope, uow)
            await self.parking.release([envelope.subject], uow.open_session)
            if parked is not None:  # handled: out of the parking lot in the same commit
                await self.parking.unpark(parked, uow.open_session)

    async def retry_parked(self, longest_wait: float = 5.0) -> None:
        """Tries parked events again when they are due, or at once when what they wait for has
        just been handled here (a background task of the service: shared/consumer_parking.py)."""
        await self.parking.run(self.process, longest_wait)

    async def _dead_letter(self, delivery: Delivery, reason: str, parked: Document | None) -> None:
        topic = delivery.topic
        log.error("%s: %s message sent to %s: %s", self.group, topic, dlq_topic(topic), reason)
        headers = {
            **delivery.headers,
            "dlq_reason": reason[:2000],
            "dlq_consumer": self.group,
            "dlq_source_topic": topic,
        }
        await self._broker.publish(
            delivery.body, topic=dlq_topic(topic), key=delivery.key, headers=headers
        )
        if parked is not None:
            await self.parking.unpark(parked)
