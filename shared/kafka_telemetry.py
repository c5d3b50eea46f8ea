"""FastStream's Kafka telemetry middleware with the current messaging semantic conventions.

FastStream's `KafkaTelemetryMiddleware` makes the publish and process spans, carries the
trace in the `traceparent` header and records `messaging.publish.duration` and
`messaging.process.duration`; its attributes follow an older messaging convention
(`messaging.operation`, `messaging.kafka.destination.partition`,
`messaging.kafka.message.offset`, `messaging.message.payload_size_bytes`, the topic of a
process span as `messaging.destination_publish.name`, FastStream's own message id). The same
middleware here takes an attributes provider that gives the current names instead:
`messaging.operation.type`, `messaging.operation.name`, `messaging.destination.name`,
`messaging.destination.partition.id`, `messaging.kafka.offset`, `messaging.message.body.size`
and, as `messaging.message.id`, the CloudEvent id (`ce_id`), the one id a message has
everywhere. The consumer group, which only the subscriber knows, is added by the consumer
(`shared.consumer`). The middleware itself still sets `messaging.operation` on its spans
after they start; `CurrentMessagingNames` renames what is left of the old names on export.

FastStream also opens a `<topic> create` span where a message is made (before each publish,
and on a consumed message that came without a trace), with the attributes of the operation
around it; `CreateSpans` names its operation `create`, as the conventions have it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from faststream.kafka.opentelemetry.provider import (
    BatchKafkaTelemetrySettingsProvider,
    KafkaTelemetrySettingsProvider,
)
from faststream.kafka.response import KafkaPublishCommand
from faststream.opentelemetry.consts import INSTRUMENTING_MODULE_NAME, MessageAction
from faststream.opentelemetry.middleware import TelemetryMiddleware
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.semconv._incubating.attributes.messaging_attributes import (
    MESSAGING_CONSUMER_GROUP_NAME,
    MESSAGING_DESTINATION_NAME,
    MESSAGING_DESTINATION_PARTITION_ID,
    MESSAGING_KAFKA_MESSAGE_KEY,
    MESSAGING_KAFKA_OFFSET,
    MESSAGING_MESSAGE_BODY_SIZE,
    MESSAGING_MESSAGE_CONVERSATION_ID,
    MESSAGING_MESSAGE_ID,
    MESSAGING_OPERATION_NAME,
    MESSAGING_OPERATION_TYPE,
    MESSAGING_SYSTEM,
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
    """The attributes of one Kafka message, in the current conventions' names only."""

    __slots__ = ()

    def get_publish_attrs_from_cmd(self, cmd: KafkaPublishCommand) -> dict[str, Any]:
        attributes: dict[str, Any] = {
            MESSAGING_SYSTEM: self.messaging_system,
            MESSAGING_DESTINATION_NAME: cmd.destination,
            MESSAGING_OPERATION_TYPE: MessagingOperationTypeValues.SEND.value,
            MESSAGING_OPERATION_NAME: "send",
        }
        if cmd.correlation_id:
            attributes[MESSAGING_MESSAGE_CONVERSATION_ID] = cmd.correlation_id
        if cmd.partition is not None:
            attributes[MESSAGING_DESTINATION_PARTITION_ID] = str(cmd.partition)
        if cmd.key is not None:
            attributes[MESSAGING_KAFKA_MESSAGE_KEY] = cmd.key
        if event_id := _event_id(cmd.headers):
            attributes[MESSAGING_MESSAGE_ID] = event_id
        return attributes

    def get_consume_attrs_from_message(
        self, msg: StreamMessage[ConsumerRecord[Any, Any]]
    ) -> dict[str, Any]:
        record = msg.raw_message
        attributes: dict[str, Any] = {
            MESSAGING_SYSTEM: self.messaging_system,
            MESSAGING_DESTINATION_NAME: record.topic,
            MESSAGING_OPERATION_TYPE: MessagingOperationTypeValues.PROCESS.value,
            MESSAGING_OPERATION_NAME: "process",
            MESSAGING_DESTINATION_PARTITION_ID: str(record.partition),
            MESSAGING_KAFKA_OFFSET: record.offset,
            MESSAGING_MESSAGE_BODY_SIZE: len(msg.body),
            MESSAGING_MESSAGE_ID: _event_id(msg.headers) or msg.message_id,
        }
        if msg.correlation_id:
            attributes[MESSAGING_MESSAGE_CONVERSATION_ID] = msg.correlation_id
        if record.key is not None:
            attributes[MESSAGING_KAFKA_MESSAGE_KEY] = record.key
        return attributes


def _attributes_provider(
    msg: ConsumerRecord[Any, Any] | Sequence[ConsumerRecord[Any, Any]] | None,
) -> KafkaSpanAttributes | BatchKafkaTelemetrySettingsProvider:
    """As FastStream's own factory, with the single-message provider above. The consumer's
    lanes take batches: FastStream's span of a batch links its messages, and each event gets
    its own process span, in its own trace, from the consumer (shared/consumer_batch.py)."""
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


# FastStream's `messaging.operation` values and the current operation types
OPERATION_TYPES = {
    MessageAction.PUBLISH: MessagingOperationTypeValues.SEND.value,
    MessageAction.PROCESS: MessagingOperationTypeValues.PROCESS.value,
    MessageAction.CREATE: MessagingOperationTypeValues.CREATE.value,
}


# Old messaging names (deprecated in the semantic conventions) and their current ones, with how
# a value moves over; None: removed, with no successor.
RENAMED: dict[str, tuple[str, Callable[[Any], Any]] | None] = {
    "messaging.operation": (MESSAGING_OPERATION_TYPE, lambda op: OPERATION_TYPES.get(op, op)),
    "messaging.kafka.message.offset": (MESSAGING_KAFKA_OFFSET, int),
    "messaging.kafka.destination.partition": (MESSAGING_DESTINATION_PARTITION_ID, str),
    "messaging.kafka.consumer.group": (MESSAGING_CONSUMER_GROUP_NAME, str),
    "messaging.message.payload_size_bytes": (MESSAGING_MESSAGE_BODY_SIZE, int),
    "messaging.destination_publish.name": None,
}


def current_names(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """`attributes` with every old messaging name replaced by its current one; a value already
    given under the current name wins."""
    result = {k: v for k, v in attributes.items() if k not in RENAMED}
    for old, target in RENAMED.items():
        if old in attributes and target is not None:
            name, convert = target
            result.setdefault(name, convert(attributes[old]))
    return result


class CurrentMessagingNames(SpanProcessor):
    """Hands `inner` (the exporting processor) FastStream's spans with the current messaging
    names only. FastStream sets `messaging.operation` on a span after it starts, so no start
    hook can keep it off; a finished span is read-only, so the copy is what goes on."""

    def __init__(self, inner: SpanProcessor) -> None:
        self.inner = inner

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        self.inner.on_start(span, parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        attributes = span.attributes or {}
        if not RENAMED.keys() & attributes.keys():
            self.inner.on_end(span)
            return
        self.inner.on_end(
            ReadableSpan(
                name=span.name,
                context=span.context,
                parent=span.parent,
                resource=span.resource,
                attributes=current_names(attributes),
                events=span.events,
                links=span.links,
                kind=span.kind,
                status=span.status,
                start_time=span.start_time,
                end_time=span.end_time,
                instrumentation_scope=span.instrumentation_scope,
            )
        )

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)
