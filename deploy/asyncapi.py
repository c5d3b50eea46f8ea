"""The AsyncAPI 3.0 document of every topic, generated from the event contracts: one channel
per topic and one per dead-letter topic, the operation that sends to each, one message per
event type, and every payload schema under `components/schemas` (no `$defs` left inside)."""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from shared.contracts import EVENT_TYPES, commitments, intake, matching, notifications
from shared.events import Envelope, dlq_topic

SCHEMAS = "#/components/schemas/{model}"
PUBLISHERS = {
    topic: module.__name__.rsplit(".", 1)[-1]
    for module in (intake, matching, commitments, notifications)
    for topic in module.EVENTS
}
CE_ATTRIBUTES = ("specversion", "id", "source", "type", "subject", "time")
CLOUDEVENT_HEADERS: dict[str, Any] = {
    "type": "object",
    "description": "CloudEvents 1.0 binary mode: attributes as Kafka headers",
    "properties": {f"ce_{name}": {"type": "string"} for name in CE_ATTRIBUTES}
    | {"traceparent": {"type": "string"}, "content-type": {"const": "application/json"}},
    "required": [f"ce_{name}" for name in CE_ATTRIBUTES],
}
DLQ_HEADERS: dict[str, Any] = {
    **CLOUDEVENT_HEADERS,
    "description": "The original message's headers and why it was set aside",
    "properties": CLOUDEVENT_HEADERS["properties"]
    | {
        "dlq_reason": {"type": "string", "description": "why the consumer gave up"},
        "dlq_consumer": {"type": "string", "description": "the consumer group"},
        "dlq_source_topic": {"type": "string"},
    },
    "required": ["dlq_reason", "dlq_consumer", "dlq_source_topic"],
}
SERVERS = {"kafka": {"host": "kafka:9092", "protocol": "kafka", "description": "compose"}}
KAFKA_KEY = {"kafka": {"key": {"type": "string", "description": "aggregate id"}}}


def payload_schemas() -> dict[str, Any]:
    """Every event model's JSON schema and those it refers to, by model name, with references
    pointing into `components/schemas`."""
    models = sorted(EVENT_TYPES.values(), key=lambda model: model.__name__)
    _, top = models_json_schema(
        [(model, "serialization") for model in models], ref_template=SCHEMAS
    )
    return dict(sorted(top.get("$defs", {}).items()))


def _message(name: str, headers: dict[str, Any], payload: dict[str, Any], **extra: Any) -> Any:
    return {
        "name": name,
        "contentType": Envelope.model_fields["datacontenttype"].default,
        "headers": headers,
        "payload": payload,
        "bindings": KAFKA_KEY,
        **extra,
    }


def _operation(topic: str, message: str, summary: str) -> dict[str, Any]:
    return {
        "action": "send",
        "summary": summary,
        "channel": {"$ref": f"#/channels/{topic}"},
        "messages": [{"$ref": f"#/channels/{topic}/messages/{message}"}],
    }


def asyncapi_document() -> dict[str, Any]:
    schemas = payload_schemas()
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {
        "DeadLetter": _message(
            "DeadLetter",
            DLQ_HEADERS,
            {"description": "the original body, as it was (it may not parse)"},
            summary="A message a consumer could not handle",
        )
    }
    for topic, model in sorted(EVENT_TYPES.items()):
        name, dlq, op_id = model.__name__, dlq_topic(topic), topic.replace(".", "_")
        messages[name] = _message(name, CLOUDEVENT_HEADERS, {"$ref": SCHEMAS.format(model=name)})
        channels[topic] = {
            "address": topic,
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
        }
        channels[dlq] = {
            "address": dlq,
            "description": f"{topic} messages a consumer could not handle",
            "messages": {"DeadLetter": {"$ref": "#/components/messages/DeadLetter"}},
        }
        operations[f"send_{op_id}"] = _operation(
            topic, name, f"{PUBLISHERS[topic]} publishes {topic} through its outbox"
        )
        operations[f"send_{op_id}_dlq"] = _operation(
            dlq, "DeadLetter", f"a consumer of {topic} sets aside a message it cannot handle"
        )
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Commonweave events",
            "version": "1.0.0",
            "description": "Every event Commonweave's services publish: one Kafka topic per "
            "event type, keyed by aggregate id, as CloudEvents 1.0 in binary mode.",
        },
        "servers": SERVERS,
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }
