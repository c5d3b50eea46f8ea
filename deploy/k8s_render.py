"""Renders a kustomize directory of `deploy/k8s` without the kustomize binary, so CI checks the
manifests offline. It understands only what those manifests use, and refuses anything else:
`resources` (files and directories), `patches` (JSON 6902 operations with a `target`) and
`images`. `kubectl kustomize deploy/k8s/overlays/<name>` gives the same objects.

`python -m deploy.k8s_render topics` rewrites `base/topics.yaml` from the event contracts:
one Strimzi KafkaTopic per event type and one for its DLQ. `python -m deploy.k8s_render users`
rewrites `base/kafka-users.yaml`: one KafkaUser per service with the ACLs its code needs
(`deploy.kafka_users`).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import yaml

from deploy import yaml_files
from shared.contracts import EVENT_TYPES
from shared.events import dlq_topic

Manifest = dict[str, Any]
K8S = Path(__file__).parent / "k8s"
SUPPORTED = {"apiVersion", "kind", "resources", "patches", "images"}
STRIMZI_CLUSTER = "commonweave"
KAFKA_NAMESPACE = "kafka"


def render(directory: Path) -> list[Manifest]:
    kustomization: Manifest = yaml_files.load((directory / "kustomization.yaml").read_text())
    if unknown := set(kustomization) - SUPPORTED:
        raise ValueError(f"{directory}: unsupported kustomization fields {sorted(unknown)}")
    objects: list[Manifest] = []
    for entry in kustomization.get("resources", []):
        path = directory / entry
        if path.is_dir():
            objects += render(path)
        else:
            objects += [doc for doc in yaml_files.load_all(path.read_text()) if doc]
    for patch in kustomization.get("patches", []):
        operations = yaml_files.load((directory / patch["path"]).read_text())
        targets = [obj for obj in objects if _matches(obj, patch["target"])]
        if not targets:
            raise ValueError(f"{directory}: patch {patch['path']} matches no object")
        for obj in targets:
            for operation in operations:
                _apply(obj, operation)
    for image in kustomization.get("images", []):
        _set_image(objects, image)
    return objects


def _matches(obj: Manifest, target: dict[str, str]) -> bool:
    labels: dict[str, str] = obj["metadata"].get("labels", {})
    selector = target.get("labelSelector", "")
    wanted = dict(term.split("=", 1) for term in selector.split(",") if term)
    return (
        target.get("kind", obj["kind"]) == obj["kind"]
        and re.fullmatch(target.get("name", ".*"), obj["metadata"]["name"]) is not None
        and all(labels.get(key) == value for key, value in wanted.items())
    )


def _apply(obj: Manifest, operation: dict[str, Any]) -> None:
    """One JSON 6902 `add`, `replace` or `remove` (RFC 6901 pointers, `-` appends)."""
    *parents, last = [
        part.replace("~1", "/").replace("~0", "~") for part in operation["path"].split("/")[1:]
    ]
    node: Any = obj
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    op = operation["op"]
    if isinstance(node, list):
        index = len(node) if last == "-" else int(last)
        if op == "add":
            node.insert(index, operation["value"])
        elif op == "replace":
            node[index] = operation["value"]
        else:
            del node[index]
    elif op == "remove" or (op == "replace" and last not in node):
        del node[last]  # KeyError, as kustomize fails, for a missing member
    else:
        node[last] = operation["value"]


def _set_image(objects: list[Manifest], image: dict[str, str]) -> None:
    for obj in objects:
        pod = obj.get("spec", {}).get("template", {}).get("spec", {})
        for container in pod.get("containers", []):
            name, _, tag = container["image"].partition(":")
            if name == image["name"]:
                name = image.get("newName", name)
                container["image"] = f"{name}:{image.get('newTag', tag)}"


def topic_manifests(partitions: int, replicas: int, min_insync: int) -> list[Manifest]:
    topics = [(topic, "event") for topic in EVENT_TYPES]
    topics += [(dlq_topic(topic), "dlq") for topic in EVENT_TYPES]
    return [
        {
            "apiVersion": "kafka.strimzi.io/v1",
            "kind": "KafkaTopic",
            "metadata": {
                # Kubernetes names take no underscore; the topic's own name is spec.topicName.
                "name": topic.replace("_", "-"),
                "namespace": KAFKA_NAMESPACE,
                "labels": {
                    "strimzi.io/cluster": STRIMZI_CLUSTER,
                    "app.kubernetes.io/part-of": "commonweave",
                    "commonweave.io/topic-role": role,
                },
            },
            "spec": {
                "topicName": topic,
                "partitions": partitions if role == "event" else 1,
                "replicas": replicas,
                "config": {
                    "min.insync.replicas": min_insync,
                    "retention.ms": (7 if role == "event" else 30) * 24 * 3600 * 1000,
                },
            },
        }
        for topic, role in topics
    ]


GENERATED = "# Generated by `python -m deploy.k8s_render {what}` from {source}: do not edit.\n"


def main() -> None:
    what = sys.argv[1:]
    if what == ["topics"]:
        data = yaml_files.load((K8S / "base" / "configmap.yaml").read_text())["data"]
        partitions = int(data["COMMONWEAVE_TOPIC_PARTITIONS"])
        replicas = int(data["COMMONWEAVE_TOPIC_REPLICATION"])
        body = yaml.safe_dump_all(topic_manifests(partitions, replicas, 2), sort_keys=False)
        header = GENERATED.format(what="topics", source="shared/contracts")
        (K8S / "base" / "topics.yaml").write_text(header + body)
    elif what == ["users"]:
        from deploy.kafka_users import user_manifests  # imports the services' handlers

        body = yaml.safe_dump_all(user_manifests(), sort_keys=False)
        header = GENERATED.format(what="users", source="the contracts and the services' handlers")
        (K8S / "base" / "kafka-users.yaml").write_text(header + body)
    else:
        raise SystemExit("usage: python -m deploy.k8s_render topics|users")


if __name__ == "__main__":
    main()
