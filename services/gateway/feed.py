"""The events subscriptions are fed from. Every gateway replica must see every event, so the
consumer has no consumer group (it reads all partitions from the end, commits nothing); each
event is fanned out to the in-process queues of the subscriptions that match it.

An event the feed has seen, or one from before the feed started, is not pushed again: the
outbox relays send events again to a broker that lost its log (the embedded one,
restarted), and a live subscriber wants news, not a replay. (No consumer group: the relays
count nothing on this feed, and send `notification.created` again to no one.)"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta

from aiokafka import AIOKafkaConsumer
from pydantic import ValidationError

from shared.broker import ensure_topics
from shared.clock import Clock, WallClock
from shared.contracts import EVENT_TYPES, Payload, commitments
from shared.events import Envelope
from shared.kafka_security import kafka_client_options
from shared.settings import Settings

log = logging.getLogger(__name__)

NOTIFICATION_TOPIC = "notification.created"
# Every commitments event about one partnership (it carries `partnership`).
PARTNERSHIP_TOPICS = tuple(
    topic for topic, model in commitments.EVENTS.items() if "partnership" in model.model_fields
)
QUEUE_SIZE = 256
SEEN_IDS = 10_000
# how far behind ours another process's clock may be without its fresh events looking old
CLOCK_SKEW = timedelta(seconds=5)


@dataclass(frozen=True)
class Event:
    envelope: Envelope
    payload: Payload


Match = Callable[[Event], bool]


@dataclass(eq=False)  # identity: each subscription is its own listener
class _Listener:
    topics: frozenset[str]
    match: Match
    queue: asyncio.Queue[Event]


class EventFeed:
    DEFAULT_TOPICS = (NOTIFICATION_TOPIC, *PARTNERSHIP_TOPICS)

    def __init__(
        self,
        settings: Settings,
        topics: tuple[str, ...] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._settings = settings
        # compared with the events' times, which their producers stamp in real time
        self._clock = clock or WallClock()
        self.topics = topics or self.DEFAULT_TOPICS
        self._listeners: set[_Listener] = set()
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        self._started_at = self._clock.now()
        self._seen: OrderedDict[str, None] = OrderedDict()

    def _is_news(self, envelope: Envelope) -> bool:
        if envelope.time < self._started_at - CLOCK_SKEW or envelope.id in self._seen:
            return False
        self._seen[envelope.id] = None
        if len(self._seen) > SEEN_IDS:
            self._seen.popitem(last=False)
        return True

    async def start(self) -> None:
        self._started_at = self._clock.now()
        await ensure_topics(self._settings, list(self.topics))
        self._consumer = AIOKafkaConsumer(
            *self.topics,
            **kafka_client_options(self._settings),
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="latest",
            client_id="commonweave-gateway-feed",
        )
        await self._consumer.start()
        self._task = asyncio.create_task(self._run(), name="gateway-event-feed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()

    async def _run(self) -> None:
        assert self._consumer is not None
        async for record in self._consumer:
            try:
                headers = {k: v for k, v in record.headers}
                envelope = Envelope.from_headers(headers)
                payload = EVENT_TYPES[record.topic].model_validate_json(record.value or b"")
            except (ValueError, ValidationError, KeyError) as exc:
                log.warning("feed: unreadable %s event skipped: %s", record.topic, exc)
                continue
            if self._is_news(envelope):
                self.publish(record.topic, Event(envelope, payload))

    def publish(self, topic: str, event: Event) -> None:
        for listener in list(self._listeners):
            if topic in listener.topics and listener.match(event):
                try:
                    listener.queue.put_nowait(event)
                except asyncio.QueueFull:
                    log.warning("feed: a slow subscriber dropped a %s event", topic)

    async def listen(self, topics: tuple[str, ...], match: Match) -> AsyncIterator[Event]:
        """The matching events from now on, until the subscriber goes away."""
        listener = _Listener(frozenset(topics), match, asyncio.Queue(QUEUE_SIZE))
        self._listeners.add(listener)
        try:
            while True:
                yield await listener.queue.get()
        finally:
            self._listeners.discard(listener)
