"""The AsyncAPI 3.0 document of every topic, generated from the event contracts."""

from __future__ import annotations

from typing import Any

from shared.contracts import EVENT_TYPES
from shared.events import Envelope, dlq_topic

CLOUDEVENT_HEADERS: dict[str, Any] = {
    "type": "object",
    "description": "CloudEvents 1.0 binary mode: attributes as Kafka headers",
    "properties": {
        f"ce_{name}": {"type": "string"}
        for name in ("specversion", "id", "source", "type", "subject", "time")
    }
    | {"traceparent": {"type": "string"}, "content-type": {"const": "application/json"}},
    "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_subject", "ce_time"],
}


def asyncapi_document() -> dict[str, Any]:
    channels: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for topic, model in sorted(EVENT_TYPES.items()):
        name = model.__name__
        messages[name] = {
            "name": name,
            "contentType": Envelope.model_fields["datacontenttype"].default,
            "headers": CLOUDEVENT_HEADERS,
            "payload": model.model_json_schema(),
            "bindings": {"kafka": {"key": {"type": "string", "description": "aggregate id"}}},
        }
        ref = {"$ref": f"#/components/messages/{name}"}
        channels[topic] = {"address": topic, "messages": {name: ref}}
        channels[dlq_topic(topic)] = {
            "address": dlq_topic(topic),
            "description": f"{topic} messages a consumer could not handle; the reason is "
            "in the dlq_reason header",
        }
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Commonweave events", "version": "1.0.0"},
        "defaultContentType": "application/json",
        "channels": channels,
        "components": {"messages": messages},
    }
