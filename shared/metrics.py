"""Metrics next to the traces, over OTLP (`COMMONWEAVE_TELEMETRY_EXPORTER=otlp`): one meter
provider per process, with the same resource as its spans, made the global one so the FastAPI
and httpx instrumentations record request latency on it (`http.server.request.duration`,
`http.client.request.duration`, in seconds, under the stable conventions).

Beside them, what an operator of an event-driven system watches (see the README's table):

- `messaging.client.consumed.messages`: messages delivered to a service's consumer group;
- `commonweave.messaging.consumer.lag`: per group and topic, how far the group is behind the
  end of the log, read from the Kafka client's own positions when the metric is collected;
- `commonweave.messaging.dlq.messages`: messages sent to a dead-letter topic, with why;
- `commonweave.outbox.backlog` and `commonweave.outbox.oldest_pending.age`: what the outbox
  relay saw pending at its last read, so collecting them costs no query.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from opentelemetry import metrics, trace
from opentelemetry.metrics import CallbackOptions, Meter, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.semconv._incubating.attributes.messaging_attributes import (
    MESSAGING_CONSUMER_GROUP_NAME,
    MESSAGING_DESTINATION_NAME,
    MESSAGING_OPERATION_NAME,
    MESSAGING_SYSTEM,
)
from opentelemetry.semconv._incubating.metrics.messaging_metrics import (
    MESSAGING_CLIENT_CONSUMED_MESSAGES,
)
from opentelemetry.semconv.attributes.error_attributes import ERROR_TYPE

from shared.settings import Settings

if TYPE_CHECKING:
    from pymongo.asynchronous.collection import AsyncCollection

    from shared.mongo import Document

log = logging.getLogger(__name__)

EXPORT_INTERVAL_MS = 15_000  # unless OTEL_METRIC_EXPORT_INTERVAL (ms) says otherwise
METER_NAME = "commonweave"

CONSUMER_LAG = "commonweave.messaging.consumer.lag"
DLQ_MESSAGES = "commonweave.messaging.dlq.messages"
DLQ_REASON = "commonweave.dlq.reason"
OUTBOX_BACKLOG = "commonweave.outbox.backlog"
OUTBOX_OLDEST_AGE = "commonweave.outbox.oldest_pending.age"

# Why a message went to the dead-letter topic (the `commonweave.dlq.reason` attribute)
UNPARSEABLE = "unparseable"  # no valid CloudEvent headers, or a body its contract refuses
FAILED = "failed"  # the handler kept failing
EXPIRED = "expired"  # parked for want of a prerequisite longer than the park limit


def setup_metrics(
    resource: Resource, settings: Settings, readers: Sequence[MetricReader] = ()
) -> MeterProvider:
    all_readers = list(readers)
    if settings.telemetry_exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

        endpoint = f"{settings.otlp_endpoint.rstrip('/')}/v1/metrics"
        interval = float(os.environ.get("OTEL_METRIC_EXPORT_INTERVAL", EXPORT_INTERVAL_MS))
        all_readers.append(
            PeriodicExportingMetricReader(
                OTLPMetricExporter(endpoint=endpoint), export_interval_millis=interval
            )
        )
    provider = MeterProvider(resource=resource, metric_readers=all_readers)
    metrics.set_meter_provider(provider)
    return provider


def meter(provider: metrics.MeterProvider | None = None) -> Meter:
    """The meter of Commonweave's own instruments: the given provider's, else the global one
    (`setup_metrics` makes it so before anything records)."""
    return metrics.get_meter(METER_NAME, meter_provider=provider)


# --- consumers --------------------------------------------------------------------------


class KafkaClient(Protocol):
    """The part of aiokafka's `AIOKafkaConsumer` the lag is read from."""

    def assignment(self) -> set[Any]: ...

    def highwater(self, partition: Any) -> int | None: ...


def position(client: KafkaClient, partition: Any) -> int | None:
    """The offset the client reads next on the partition, without waiting: aiokafka's
    `position()` is a coroutine that waits for a position to be known, and the metric reader
    calls back from its own thread; this reads the same state its `highwater()` reads."""
    state = client._subscription.subscription.assignment.state_value(partition)  # type: ignore[attr-defined]
    return state.position if state.has_valid_position else None


def consumer_lag(
    client: KafkaClient, position_of: Callable[[KafkaClient, Any], int | None] | None = None
) -> dict[str, int]:
    """Per topic, the sum over the partitions this client holds of the end offset (highwater)
    minus its position. The group commits each message's offset once it is processed, so
    this is the end offset minus the committed offset, less the message being processed.
    Partitions not fetched yet (no highwater known) are left out."""
    read_position = position_of or position
    lag: dict[str, int] = {}
    for partition in list(client.assignment()):
        end, at = client.highwater(partition), read_position(client, partition)
        if end is not None and at is not None:
            lag[partition.topic] = lag.get(partition.topic, 0) + max(0, end - at)
    return lag


class ConsumerMetrics:
    """The metrics of one consumer group (one per service)."""

    def __init__(self, group: str, meter_: Meter | None = None) -> None:
        self.group = group
        self._meter = meter_ or meter()
        self._attributes = {MESSAGING_SYSTEM: "kafka", MESSAGING_CONSUMER_GROUP_NAME: group}
        self._consumed = self._meter.create_counter(
            MESSAGING_CLIENT_CONSUMED_MESSAGES,
            unit="{message}",
            description="Messages delivered to the consumer group's handler.",
        )
        self._dead_lettered = self._meter.create_counter(
            DLQ_MESSAGES,
            unit="{message}",
            description="Messages sent to the dead-letter topic, by source topic and reason.",
        )

    def received(self, topic: str) -> None:
        """One message delivered: counted, and its process span (FastStream's, current while
        the handler runs) names the consumer group, which only the consumer knows."""
        trace.get_current_span().set_attribute(MESSAGING_CONSUMER_GROUP_NAME, self.group)
        self._consumed.add(
            1,
            {
                **self._attributes,
                MESSAGING_DESTINATION_NAME: topic,
                MESSAGING_OPERATION_NAME: "process",
            },
        )

    def dead_lettered(self, topic: str, reason: str, error: BaseException | None = None) -> None:
        attributes = {**self._attributes, MESSAGING_DESTINATION_NAME: topic, DLQ_REASON: reason}
        if error is not None:
            attributes[ERROR_TYPE] = type(error).__name__
        self._dead_lettered.add(1, attributes)

    def observe_lag(self, clients: Callable[[], Iterable[KafkaClient]]) -> None:
        """Registers the lag gauge; `clients` answers the group's Kafka clients of this
        process when the metric is collected (none before the broker starts)."""

        def observe(_: CallbackOptions) -> Iterable[Observation]:
            try:
                lags: dict[str, int] = {}
                for client in clients():
                    for topic, lag in consumer_lag(client).items():
                        lags[topic] = lags.get(topic, 0) + lag
            except Exception as exc:  # a rebalance under way: no reading this time
                log.debug("%s: consumer lag not read (%r)", self.group, exc)
                return []
            return [
                Observation(lag, {**self._attributes, MESSAGING_DESTINATION_NAME: topic})
                for topic, lag in sorted(lags.items())
            ]

        self._meter.create_observable_gauge(
            CONSUMER_LAG,
            callbacks=[observe],
            unit="{message}",
            description="End offset minus the group's position, summed over the partitions "
            "this replica holds, per topic.",
        )


# --- the outbox ---------------------------------------------------------------------------

BACKLOG_COUNT_SECONDS = 5.0  # a full batch counts the rest at most this often


@dataclass(frozen=True)
class BacklogReading:
    count: int
    oldest_at: float | None  # epoch seconds the oldest pending event was written


class OutboxBacklog:
    """What the outbox relay saw pending when it last read the outbox. The relay reads the
    oldest pending events every poll anyway; only a full batch (more waiting than one read
    takes) costs a count, and at most every `BACKLOG_COUNT_SECONDS`. A replica whose relay
    does not hold the lease knows nothing (`reading` is None), so replicas do not double up.
    While Kafka refuses events the relay does not read again: the count stays that of its last
    read, the age keeps growing."""

    def __init__(self) -> None:
        self.reading: BacklogReading | None = None
        self._counted_at = 0.0
        self._counted = 0

    async def saw(
        self, events: AsyncCollection[Document], found: list[Document], limit: int
    ) -> None:
        count = len(found)
        if count >= limit:
            now = time.monotonic()
            if now - self._counted_at > BACKLOG_COUNT_SECONDS:
                self._counted = await events.count_documents({"sent_at": None})
                self._counted_at = now
            count = max(count, self._counted)
        self.reading = BacklogReading(count, written_at(found[0]) if found else None)

    def forget(self) -> None:
        self.reading = None


def written_at(event: Mapping[str, Any]) -> float | None:
    """When the event was written: its CloudEvent time (the outbox's `seq` is the same clock)."""
    try:
        return datetime.fromisoformat(event["headers"]["ce_time"]).timestamp()
    except (KeyError, TypeError, ValueError):
        seq = event.get("seq")
        return seq / 1e9 if isinstance(seq, int) else None


def observe_outbox(backlog: OutboxBacklog, meter_: Meter | None = None) -> None:
    """Registers the outbox gauges of this process's outbox."""
    m = meter_ or meter()

    def count(_: CallbackOptions) -> Iterable[Observation]:
        reading = backlog.reading
        return [] if reading is None else [Observation(reading.count)]

    def age(_: CallbackOptions) -> Iterable[Observation]:
        reading = backlog.reading
        if reading is None:
            return []
        oldest = reading.oldest_at
        return [Observation(0.0 if oldest is None else max(0.0, time.time() - oldest))]

    m.create_observable_gauge(
        OUTBOX_BACKLOG,
        callbacks=[count],
        unit="{event}",
        description="Events written to the outbox and not yet taken by Kafka.",
    )
    m.create_observable_gauge(
        OUTBOX_OLDEST_AGE,
        callbacks=[age],
        unit="s",
        description="How long the oldest event not yet taken by Kafka has waited (0: none).",
    )
