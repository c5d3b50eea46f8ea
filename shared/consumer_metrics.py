"""A service's consumer metrics, each labelled with the consumer group of the topic's lane
(`<service>` or `<service>.urgent`, shared/contracts/subscribers.py):

- `messaging.client.consumed.messages`: messages delivered to the group's handler;
- `commonweave.messaging.consumer.lag`: per topic, how far the group is behind the end of the
  log on the partitions this replica holds, read from the Kafka client's own state when the
  metric is collected (no request to the broker);
- `commonweave.messaging.dlq.messages`: messages sent to a dead-letter topic, with why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from opentelemetry import trace
from opentelemetry.metrics import CallbackOptions, Meter, Observation
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

from shared.contracts.subscribers import lane_group
from shared.metrics import meter

log = logging.getLogger(__name__)

CONSUMER_LAG = "commonweave.messaging.consumer.lag"
DLQ_MESSAGES = "commonweave.messaging.dlq.messages"
DLQ_REASON = "commonweave.dlq.reason"

# Why a message went to the dead-letter topic (the `commonweave.dlq.reason` attribute)
UNPARSEABLE = "unparseable"  # no valid CloudEvent headers, or a body its contract refuses
FAILED = "failed"  # the handler kept failing
EXPIRED = "expired"  # parked for want of a prerequisite longer than the park limit


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
    """The metrics of a service's consumer groups (its lanes); `group` is the service's."""

    def __init__(self, group: str, meter_: Meter | None = None) -> None:
        self.group = group
        self._meter = meter_ or meter()
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

    def _attributes(self, topic: str) -> dict[str, str]:
        return {
            MESSAGING_SYSTEM: "kafka",
            MESSAGING_CONSUMER_GROUP_NAME: lane_group(self.group, topic),
        }

    def received(self, topic: str) -> None:
        """One message delivered: counted, and its process span (FastStream's, current while
        the handler runs) names the consumer group, which only the consumer knows."""
        trace.get_current_span().set_attribute(
            MESSAGING_CONSUMER_GROUP_NAME, lane_group(self.group, topic)
        )
        self._consumed.add(
            1,
            {
                **self._attributes(topic),
                MESSAGING_DESTINATION_NAME: topic,
                MESSAGING_OPERATION_NAME: "process",
            },
        )

    def dead_lettered(self, topic: str, reason: str, error: BaseException | None = None) -> None:
        attributes = {**self._attributes(topic), MESSAGING_DESTINATION_NAME: topic}
        attributes[DLQ_REASON] = reason
        if error is not None:
            attributes[ERROR_TYPE] = type(error).__name__
        self._dead_lettered.add(1, attributes)

    def observe_lag(self, clients: Callable[[], Iterable[KafkaClient]]) -> None:
        """Registers the lag gauge; `clients` answers the Kafka clients of this process (one
        per lane) when the metric is collected (none before the broker starts)."""

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
                Observation(lag, {**self._attributes(topic), MESSAGING_DESTINATION_NAME: topic})
                for topic, lag in sorted(lags.items())
            ]

        self._meter.create_observable_gauge(
            CONSUMER_LAG,
            callbacks=[observe],
            unit="{message}",
            description="End offset minus the group's position, summed over the partitions "
            "this replica holds, per topic.",
        )
