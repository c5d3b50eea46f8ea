"""Dead letters as they are on Kafka: every `<topic>.dlq` read from its first offset to its end
with a plain aiokafka consumer (no group: nothing is committed, the services' groups are not
touched), and a letter published again to the topic it came from."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from shared.kafka_security import kafka_client_options
from shared.settings import Settings

DLQ_SUFFIX = ".dlq"
DLQ_HEADERS = ("dlq_reason", "dlq_consumer", "dlq_source_topic")  # shared.consumer writes them
READ_TIMEOUT_SECONDS = 30.0


class LetterNotFound(LookupError):
    pass


def dlq_name(topic: str) -> str:
    """`organization.registered` or `organization.registered.dlq`: the DLQ topic either way."""
    return topic if topic.endswith(DLQ_SUFFIX) else topic + DLQ_SUFFIX


@dataclass(frozen=True)
class DeadLetter:
    topic: str  # the DLQ topic
    partition: int
    offset: int
    timestamp: datetime  # when the consumer dead-lettered it (the record's time)
    key: bytes | None
    body: bytes
    headers: tuple[tuple[str, bytes], ...]

    @property
    def id(self) -> str:
        """What an operator types: `<dlq topic>:<partition>:<offset>`."""
        return f"{self.topic}:{self.partition}:{self.offset}"

    @property
    def ledger_key(self) -> str:
        """The id and the record's time: a broker that lost its log (the embedded one,
        restarted) numbers offsets anew, and an old decision must not apply to a new letter."""
        return f"{self.id}@{int(self.timestamp.timestamp() * 1000)}"

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value.decode("utf-8", "replace")
        return None

    @property
    def source_topic(self) -> str:
        return self.header("dlq_source_topic") or self.topic.removesuffix(DLQ_SUFFIX)

    @property
    def reason(self) -> str:
        return self.header("dlq_reason") or ""

    @property
    def consumer(self) -> str:
        return self.header("dlq_consumer") or ""

    @property
    def event_id(self) -> str | None:
        return self.header("ce_id")

    @property
    def event_type(self) -> str | None:
        return self.header("ce_type")

    def original_headers(self) -> list[tuple[str, bytes]]:
        """The headers the event had before the consumer dead-lettered it: the CloudEvent's
        `ce_*` (the same id, so an idempotent consumer drops what it already processed) and
        `traceparent`."""
        return [(k, v) for k, v in self.headers if k not in DLQ_HEADERS]

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "topic": self.source_topic,
            "at": self.timestamp.isoformat(),
            "consumer": self.consumer,
            "eventId": self.event_id,
            "eventType": self.event_type,
            "key": self.key.decode("utf-8", "replace") if self.key is not None else None,
            "reason": self.reason,
        }

    def detail(self) -> dict[str, Any]:
        try:
            body: Any = json.loads(self.body)
        except ValueError:
            body = self.body.decode("utf-8", "replace")
        headers = {k: v.decode("utf-8", "replace") for k, v in self.headers}
        return {**self.summary(), "headers": headers, "body": body}


def _letter(record: Any) -> DeadLetter:
    return DeadLetter(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        timestamp=datetime.fromtimestamp(record.timestamp / 1000, UTC),
        key=record.key,
        body=record.value or b"",
        headers=tuple((k, bytes(v or b"")) for k, v in record.headers),
    )


async def read_letters(settings: Settings, topics: Iterable[str] = ()) -> list[DeadLetter]:
    """Every letter now on the DLQ topics (all of them, or those of `topics`), oldest first
    per partition."""
    wanted = {dlq_name(t) for t in topics}
    consumer = AIOKafkaConsumer(
        **kafka_client_options(settings),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        existing = await consumer.topics()
        names = sorted(
            t for t in existing if t.endswith(DLQ_SUFFIX) and (not wanted or t in wanted)
        )
        partitions = [
            TopicPartition(name, p)
            for name in names
            for p in consumer.partitions_for_topic(name) or ()
        ]
        if not partitions:
            return []
        consumer.assign(partitions)
        begins = await consumer.beginning_offsets(partitions)
        ends = await consumer.end_offsets(partitions)
        # explicit offsets: a `seek_to_beginning` raced the assignment's own reset (to the
        # end) against the embedded broker and read nothing
        for tp in partitions:
            consumer.seek(tp, begins[tp])
        letters: list[DeadLetter] = []
        remaining = {tp for tp in partitions if begins[tp] < ends[tp]}
        async with asyncio.timeout(READ_TIMEOUT_SECONDS):
            while remaining:
                batches = await consumer.getmany(*remaining, timeout_ms=1000)
                for tp, records in batches.items():
                    letters += [_letter(r) for r in records if r.offset < ends[tp]]
                for tp in list(remaining):
                    if await consumer.position(tp) >= ends[tp]:
                        remaining.discard(tp)
        return letters
    finally:
        await consumer.stop()


async def find_letters(settings: Settings, ids: Iterable[str]) -> list[DeadLetter]:
    """The letters named, in the order given; LetterNotFound names the first missing one."""
    wanted = list(dict.fromkeys(ids))
    topics = {i.rsplit(":", 2)[0] for i in wanted if i.count(":") >= 2}
    found = {letter.id: letter for letter in await read_letters(settings, topics)} if topics else {}
    missing = [i for i in wanted if i not in found]
    if missing:
        raise LetterNotFound(f"no dead letter {missing[0]} (ids look like topic.dlq:0:12)")
    return [found[i] for i in wanted]


async def publish_again(settings: Settings, letters: list[DeadLetter]) -> None:
    """Each letter to the topic it came from, with its key, body and original headers; acks
    from every in-sync replica before it counts as sent."""
    producer = AIOKafkaProducer(**kafka_client_options(settings), acks="all")
    await producer.start()
    try:
        for letter in letters:
            await producer.send_and_wait(
                letter.source_topic,
                letter.body,
                key=letter.key,
                headers=letter.original_headers(),
            )
    finally:
        await producer.stop()
