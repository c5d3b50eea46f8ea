"""deploy/k8s, checked offline: both overlays render (without the kustomize binary), every
object is valid Kubernetes 1.32 (KafkaTopics: Strimzi's CRD schema), and the manifests agree
with the code and docker-compose.yml on topics, ports, settings and secrets."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from pymongo.uri_parser import parse_uri

from deploy.k8s_render import K8S, Manifest, render, topic_manifests
from shared.contracts import EVENT_TYPES
from shared.events import dlq_topic
from shared.settings import SERVICES, Settings

KUBERNETES_VERSION = "1.32.0"
STRIMZI_CRD = K8S / "vendor" / "strimzi-1.0.0" / "043-Crd-kafkatopic.yaml"
COMPOSE: dict[str, Any] = yaml.safe_load(
    (Path(__file__).parents[2] / "docker-compose.yml").read_text()
)
CONSUMER_DRAIN_SECONDS = 10  # FastStream's graceful_timeout in shared/broker.py
OVERLAYS = ("dev", "production")
RENDERED = {overlay: render(K8S / "overlays" / overlay) for overlay in OVERLAYS}
overlays = pytest.mark.parametrize("overlay", OVERLAYS)


def of_kind(overlay: str, kind: str) -> dict[str, Manifest]:
    return {o["metadata"]["name"]: o for o in RENDERED[overlay] if o["kind"] == kind}


def config(overlay: str) -> dict[str, str]:
    data: dict[str, str] = of_kind(overlay, "ConfigMap")["commonweave-config"]["data"]
    return data


def container(deployment: Manifest) -> Manifest:
    [only] = deployment["spec"]["template"]["spec"]["containers"]
    result: Manifest = only
    return result


def strict(schema: Any) -> Any:
    """Kubernetes prunes fields a structural schema does not name; a test should fail on them."""
    if isinstance(schema, dict):
        schema = {key: strict(value) for key, value in schema.items()}
        if "properties" in schema and not schema.get("x-kubernetes-preserve-unknown-fields"):
            schema.setdefault("additionalProperties", False)
    elif isinstance(schema, list):
        schema = [strict(item) for item in schema]
    return schema


@overlays
def test_every_object_is_valid_kubernetes(overlay: str) -> None:
    keys = [
        (o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"])
        for o in RENDERED[overlay]
    ]
    assert len(keys) == len(set(keys)), "an object is declared twice"
    for obj in RENDERED[overlay]:
        if obj["kind"] != "KafkaTopic":
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


@overlays
def test_kafka_topics_follow_the_vendored_strimzi_crd(overlay: str) -> None:
    crd = yaml.safe_load(STRIMZI_CRD.read_text())
    [version] = [v for v in crd["spec"]["versions"] if v["served"] and v["storage"]]
    validator = jsonschema.Draft202012Validator(strict(version["schema"]["openAPIV3Schema"]))
    for topic in of_kind(overlay, "KafkaTopic").values():
        assert topic["apiVersion"] == f"{crd['spec']['group']}/{version['name']}"
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?", topic["metadata"]["name"])
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == "commonweave"
        validator.validate(topic)


@overlays
def test_topics_are_the_event_types_and_their_dlqs(overlay: str) -> None:
    topics = [t["spec"] for t in of_kind(overlay, "KafkaTopic").values()]
    names = sorted(t["topicName"] for t in topics)
    assert names == sorted([*EVENT_TYPES, *(dlq_topic(t) for t in EVENT_TYPES)])
    settings = config(overlay)
    replicas = int(settings["COMMONWEAVE_TOPIC_REPLICATION"])
    for spec in topics:
        assert spec["replicas"] == replicas
        assert spec["config"]["min.insync.replicas"] == (2 if replicas >= 3 else 1)
        if spec["topicName"] in EVENT_TYPES:
            assert spec["partitions"] == int(settings["COMMONWEAVE_TOPIC_PARTITIONS"])


def test_production_replicates_every_topic_three_times_with_two_in_sync() -> None:
    assert config("production")["COMMONWEAVE_TOPIC_REPLICATION"] == "3"
    for topic in of_kind("production", "KafkaTopic").values():
        assert (topic["spec"]["replicas"], topic["spec"]["config"]["min.insync.replicas"]) == (3, 2)


def compose_port(name: str) -> int:
    [port] = re.findall(
        r"localhost:(\d+)/health", " ".join(COMPOSE["services"][name]["healthcheck"]["test"])
    )
    return int(port)


@overlays
def test_ports_agree_with_settings_and_compose(overlay: str) -> None:
    settings = Settings()
    deployments, services = of_kind(overlay, "Deployment"), of_kind(overlay, "Service")
    assert set(deployments) == set(services) == set(SERVICES)
    for name in SERVICES:
        port = settings.port_of(name)
        assert port == compose_port(name)
        [declared] = container(deployments[name])["ports"]
        assert declared["containerPort"] == port
        assert services[name]["spec"]["ports"][0]["port"] == port
        if name != "gateway":
            url = config(overlay)[f"COMMONWEAVE_{name.upper()}_URL"]
            assert url == f"http://{name}.commonweave.svc:{port}"
    assert COMPOSE["services"]["gateway"]["ports"] == [
        f"{settings.gateway_port}:{settings.gateway_port}"
    ]


@overlays
def test_variables_are_settings_and_references_resolve(overlay: str) -> None:
    data = config(overlay)
    secrets = of_kind(overlay, "Secret")
    for name, value in data.items():
        if name.startswith("COMMONWEAVE_"):
            assert name.removeprefix("COMMONWEAVE_").lower() in Settings.model_fields, name
            Settings.model_validate({name.removeprefix("COMMONWEAVE_").lower(): value})
    for deployment in of_kind(overlay, "Deployment").values():
        defined = set(data)
        for variable in container(deployment)["env"]:
            name = variable["name"]
            assert name.removeprefix("COMMONWEAVE_").lower() in Settings.model_fields or (
                not name.startswith("COMMONWEAVE_")
            ), name
            assert set(re.findall(r"\$\((\w+)\)", variable.get("value", ""))) <= defined, name
            if ref := variable.get("valueFrom", {}).get("secretKeyRef"):
                assert ref["name"] == "commonweave-secrets"
                if overlay == "dev":
                    assert ref["key"] in secrets[ref["name"]]["stringData"]
            defined.add(name)
        assert "COMMONWEAVE_SERVICE_TOKEN" in defined
    assert not secrets if overlay == "production" else set(secrets) == {"commonweave-secrets"}


@overlays
def test_mongo_uri_is_a_replica_set_with_majority_writes_and_reads(overlay: str) -> None:
    deployment = of_kind(overlay, "Deployment")["intake"]
    [template] = [
        v["value"] for v in container(deployment)["env"] if v["name"] == "COMMONWEAVE_MONGO_URL"
    ]
    values = {**config(overlay), "MONGO_USERNAME": "user", "MONGO_PASSWORD": "secret"}
    uri = re.sub(r"\$\((\w+)\)", lambda m: values[m.group(1)], template)
    parsed = parse_uri(uri)
    assert parsed["options"]["replicaSet"] == "commonweave-mongo"
    assert parsed["options"]["w"] == "majority"
    assert parsed["options"]["readConcernLevel"] == "majority"
    assert len(parsed["nodelist"]) == (1 if overlay == "dev" else 3)


@overlays
def test_deployments_probe_drain_and_are_protected(overlay: str) -> None:
    budgets = of_kind(overlay, "PodDisruptionBudget")
    for name, deployment in of_kind(overlay, "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        main = container(deployment)
        assert main["command"] == ["python", "-m", f"services.{name}"]
        assert main["readinessProbe"]["httpGet"]["path"] == "/health/ready"
        assert main["livenessProbe"]["httpGet"]["path"] == "/health/live"
        assert {"requests", "limits"} <= set(main["resources"])
        pre_stop = int(main["lifecycle"]["preStop"]["exec"]["command"][1])
        assert pod["terminationGracePeriodSeconds"] > pre_stop + CONSUMER_DRAIN_SECONDS
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert budgets[name]["spec"]["selector"]["matchLabels"].items() <= labels.items()
    [hpa] = of_kind(overlay, "HorizontalPodAutoscaler").values()
    assert hpa["spec"]["scaleTargetRef"]["name"] == "gateway"
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    assert "replicas" not in of_kind(overlay, "Deployment")["gateway"]["spec"]


@overlays
def test_only_the_gateway_is_reachable_and_the_services_only_from_it(overlay: str) -> None:
    policies = of_kind(overlay, "NetworkPolicy")
    assert policies["default-deny"]["spec"] == {
        "podSelector": {},
        "policyTypes": ["Ingress", "Egress"],
    }
    internal = {n for n in SERVICES if n != "gateway"}
    for name, policy in policies.items():
        if name == "metrics-from-prometheus":
            continue  # Prometheus's scrapes: tests/unit/test_monitoring.py
        spec = policy["spec"]
        selector = spec["podSelector"]
        selected = set(selector.get("matchLabels", {}).values()) or {
            value for term in selector.get("matchExpressions", []) for value in term["values"]
        }
        for rule in spec.get("ingress", []):
            if selected == {"gateway"}:
                assert [p["port"] for p in rule["ports"]] == [Settings().gateway_port]
            else:
                assert selected == internal
                assert rule["from"] == [
                    {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "gateway"}}}
                ]
                assert {p["port"] for p in rule["ports"]} == {
                    Settings().port_of(n) for n in internal
                }


def test_topics_file_is_what_the_generator_writes() -> None:
    written = list(yaml.safe_load_all((K8S / "base" / "topics.yaml").read_text()))
    settings = config("production")
    partitions = int(settings["COMMONWEAVE_TOPIC_PARTITIONS"])
    assert written == topic_manifests(partitions, 3, 2), "run: python -m deploy.k8s_render topics"


@overlays
def test_the_gateway_reaches_mongodb_where_its_replicas_share_the_rate_limit(overlay: str) -> None:
    gateway = container(of_kind(overlay, "Deployment")["gateway"])
    assert "COMMONWEAVE_MONGO_URL" in {v["name"] for v in gateway["env"]}
    to_mongo = [
        policy["spec"]
        for policy in of_kind(overlay, "NetworkPolicy").values()
        if any(
            peer.get("podSelector", {}).get("matchLabels", {}).get("app") == "commonweave-mongo-svc"
            for rule in policy["spec"].get("egress", [])
            for peer in rule.get("to", [])
        )
    ]
    selected = {
        value
        for spec in to_mongo
        for term in spec["podSelector"].get("matchExpressions", [])
        for value in term["values"]
    }
    assert selected == set(SERVICES)
