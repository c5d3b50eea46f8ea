"""Each service's Kafka user and what its ACLs allow, derived from the code so they cannot
drift from it: the topics it publishes (the publisher of each event type, as the AsyncAPI
document has it), the topics it consumes (what its `register_handlers` subscribes; the
gateway's event feed), the dead-letter topics of those, and its consumer group.

| right | to |
|---|---|
| Write, Describe | topics it publishes; the DLQ of each topic it consumes (its consumer writes) |
| Read, Describe | topics it consumes |
| Read | its groups, one per lane: `<service>`, and `<service>.urgent` for urgent topics |

The gateway reads its feed without a group (every replica sees every event), so it has none.
One more user, `operator`, is the DLQ tool's (`commonweave dlq`, deploy/dlq): Read and Describe
on every DLQ topic (no group), Write and Describe on every event topic (a replay goes back to
the topic a letter came from). `python -m deploy.k8s_render users` writes them as Strimzi
KafkaUsers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from inspect import signature
from typing import Any, cast

from deploy.asyncapi import PUBLISHERS
from services.commitments.handlers import register_handlers as commitments_handlers
from services.gateway.feed import NOTIFICATION_TOPIC, PARTNERSHIP_TOPICS
from services.matching.handlers import register_handlers as matching_handlers
from services.notifications.handlers import register_handlers as notifications_handlers
from shared.consumer import EventConsumer
from shared.contracts.subscribers import lane_group
from shared.events import dlq_topic
from shared.settings import SERVICES, ServiceName

Manifest = dict[str, Any]
USERS_NAMESPACE = "commonweave"  # the User Operator's watched namespace (kafka-cluster.yaml)
# each consuming service's handlers, registered on a recorder instead of a consumer
HANDLERS: dict[ServiceName, Callable[..., None]] = {
    "matching": matching_handlers,
    "commitments": commitments_handlers,
    "notifications": notifications_handlers,
}


class _Subscriptions:
    """Stands in for `EventConsumer`: keeps the topics `register_handlers` subscribes to."""

    def __init__(self) -> None:
        self.topics: list[str] = []

    def subscribe(self, topic: str, handler: object, model: object = None) -> None:
        self.topics.append(topic)


@dataclass(frozen=True)
class Access:
    produces: list[str] = field(default_factory=list)
    consumes: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)  # one per lane; none: reads without


def service_access() -> dict[ServiceName, Access]:
    access: dict[ServiceName, Access] = {}
    for service in SERVICES:
        produces = sorted(t for t, publisher in PUBLISHERS.items() if publisher == service)
        consumes: list[str] = []
        groups: list[str] = []
        if register := HANDLERS.get(service):
            recorder = _Subscriptions()
            # the handlers are not called: their use cases are not needed
            register(
                cast(EventConsumer, recorder), *[None] * (len(signature(register).parameters) - 1)
            )
            consumes = sorted(set(recorder.topics))
            groups = sorted({lane_group(service, topic) for topic in consumes})
        elif service == "gateway":
            consumes = sorted({NOTIFICATION_TOPIC, *PARTNERSHIP_TOPICS})
        access[service] = Access(produces, consumes, groups)
    return access


def _acl(kind: str, name: str, operations: list[str]) -> Manifest:
    return {
        "resource": {"type": kind, "name": name, "patternType": "literal"},
        "operations": operations,
    }


OPERATOR = "operator"


def operator_acls() -> list[Manifest]:
    """The DLQ tool's: read every dead letter, replay it to its topic."""
    acls = [_acl("topic", dlq_topic(t), ["Read", "Describe"]) for t in sorted(PUBLISHERS)]
    return acls + [_acl("topic", t, ["Write", "Describe"]) for t in sorted(PUBLISHERS)]


def user_manifests() -> list[Manifest]:
    users = []
    acls_of: dict[str, list[Manifest]] = {}
    for name, access in service_access().items():
        acls = [_acl("topic", t, ["Write", "Describe"]) for t in access.produces]
        acls += [_acl("topic", t, ["Read", "Describe"]) for t in access.consumes]
        if access.groups:
            acls += [_acl("topic", dlq_topic(t), ["Write", "Describe"]) for t in access.consumes]
            acls += [_acl("group", group, ["Read"]) for group in access.groups]
        acls_of[name] = acls
    acls_of[OPERATOR] = operator_acls()
    for service, acls in acls_of.items():
        users.append(
            {
                "apiVersion": "kafka.strimzi.io/v1",
                "kind": "KafkaUser",
                "metadata": {
                    "name": service,
                    "namespace": USERS_NAMESPACE,
                    "labels": {
                        "strimzi.io/cluster": "commonweave",
                        "app.kubernetes.io/part-of": "commonweave",
                    },
                },
                "spec": {
                    "authentication": {
                        "type": "scram-sha-512",
                        # the password the service is given too (its Deployment's env)
                        "password": {
                            "valueFrom": {
                                "secretKeyRef": {
                                    "name": "commonweave-secrets",
                                    "key": f"kafka-password-{service}",
                                }
                            }
                        },
                    },
                    "authorization": {"type": "simple", "acls": acls},
                },
            }
        )
    return users
