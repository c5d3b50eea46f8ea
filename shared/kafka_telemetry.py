"""FastStream's Kafka telemetry middleware with the current messaging semantic conventions.

FastStream's `KafkaTelemetryMiddleware` makes the publish and process spans, carries the
trace in the `traceparent` header and records `messaging.publish.duration` and
`messaging.process.duration`; its attributes follow an older messaging convention
(`messaging.operation`, `messaging.kafka.destination.partition`,
`messaging.kafka.message.offset`, the topic of a process span as
`messaging.destination_publish.name`, FastStream's own message id). The same middleware here
takes an attributes provider that adds the current names beside them:
`messaging.operation.type`, `messaging.operation.name`, `messaging.destination.name`,
`messaging.destination.partition.id`, `messaging.kafka.offset` and, as `messaging.message.id`,
the CloudEvent id (`ce_id`), the one id a message has everywhere. The consumer group, which
only the subscriber knows, is added by the consumer (`shared.consumer`).

FastStream also opens a `<topic> create` span where a message is made (before each publish,
and on a consumed message that came without a trace), with the attributes of the operation
around it; `CreateSpans` names its operation `create`, as the conventions have it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from faststream.kafka.opentelemetry.provider import (
    BatchKafkaTelemetrySettingsProvider,
    KafkaTelemetrySettingsProvider,
)
from faststream.kafka.response import KafkaPublishCommand
from faststream.opentelemetry.consts import INSTRUMENTING_MODULE_NAME, MessageAction
from faststream.opentelemetry.middleware import TelemetryMiddleware
from opentelemetry.context import Context
from opentelemetry.sdk.trace import Span, SpanProcessor
from opentelemetry.semconv._incubating.attributes.messaging_attributes import (
    MESSAGING_DESTINATION_NAME,
    MESSAGING_DESTINATION_PARTITION_ID,
    MESSAGING_KAFKA_OFFSET,
    MESSAGING_MESSAGE_ID,
    MESSAGING_OPERATION_NAME,
    MESSAGING_OPERATION_TYPE,
    MessagingOperationTypeValues,
)
from opentelemetry.trace import TracerProvider

if TYPE_CHECKING:
    from aiokafka import ConsumerRecord
    from faststream.message import StreamMessage

CLOUDEVENT_ID = "ce_id"


def _event_id(headers: Mapping[str, Any]) -> str | None:
    value = headers.get(CLOUDEVENT_ID)
    return value.decode() if isinstance(value, bytes) else value


class KafkaSpanAttributes(KafkaTelemetrySettingsProvider):
    """FastStream's attributes of one Kafka message, and the current conventions' names."""

    __slots__ = ()

    def get_publish_attrs_from_cmd(self, cmd: KafkaPublishCommand) -> dict[str, Any]:
        attributes = super().get_publish_attrs_from_cmd(cmd)
        attributes[MESSAGING_OPERATION_TYPE] = MessagingOperationTypeValues.SEND.value
        attributes[MESSAGING_OPERATION_NAME] = "send"
        if cmd.partition is not None:
            attributes[MESSAGING_DESTINATION_PARTITION_ID] = str(cmd.partition)
        if event_id := _event_id(cmd.headers):
            attributes[MESSAGING_MESSAGE_ID] = event_id
        return attributes

    def get_consume_attrs_from_message(
        self, msg: StreamMessage[ConsumerRecord[Any, Any]]
    ) -> dict[str, Any]:
        attributes = super().get_consume_attrs_from_message(msg)
        record = msg.raw_message
        attributes[MESSAGING_DESTINATION_NAME] = record.topic
        attributes[MESSAGING_OPERATION_TYPE] = MessagingOperationTypeValues.PROCESS.value
        attributes[MESSAGING_OPERATION_NAME] = "process"
        attributes[MESSAGING_DESTINATION_PARTITION_ID] = str(record.partition)
        attributes[MESSAGING_KAFKA_OFFSET] = record.offset
        if event_id := _event_id(msg.headers):
            attributes[MESSAGING_MESSAGE_ID] = event_id
        return attributes


def _attributes_provider(
    msg: ConsumerRecord[Any, Any] | Sequence[ConsumerRecord[Any, Any]] | None,
) -> KafkaSpanAttributes | BatchKafkaTelemetrySettingsProvider:
    """As FastStream's own factory, with the single-message provider above (no subscriber here
    consumes in batches)."""
    if isinstance(msg, Sequence):
        return BatchKafkaTelemetrySettingsProvider()
    return KafkaSpanAttributes()


def kafka_telemetry(tracer_provider: TracerProvider) -> TelemetryMiddleware[KafkaPublishCommand]:
    """What `KafkaTelemetryMiddleware(tracer_provider=...)` builds, with the attributes above;
    its metrics go to the global meter provider (`shared.metrics`)."""
    return TelemetryMiddleware[KafkaPublishCommand](
        settings_provider_factory=_attributes_provider,
        tracer_provider=tracer_provider,
        include_messages_counters=True,
    )


class CreateSpans(SpanProcessor):
    """Gives FastStream's `<topic> create` spans `messaging.operation.type=create` (and the
    same operation name) instead of the send or process of the operation around them."""

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        scope = span.instrumentation_scope
        if (
            scope is not None
            and scope.name == INSTRUMENTING_MODULE_NAME
            and span.name.endswith(f" {MessageAction.CREATE}")
        ):
            span.set_attribute(MESSAGING_OPERATION_TYPE, MessagingOperationTypeValues.CREATE.value)
            span.set_attribute(MESSAGING_OPERATION_NAME, MessageAction.CREATE)
