"""deploy/k8s, checked offline: both overlays render (without the kustomize binary), every
object is valid Kubernetes 1.32 and every custom resource valid against its operator's CRD
(vendored: Strimzi, the MongoDB Community Operator, KEDA), and the manifests agree with the
code and docker-compose.yml on topics, Kafka users and ACLs, ports, settings and secrets."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
from pymongo.uri_parser import parse_uri

from deploy import yaml_files
from deploy.asyncapi import PUBLISHERS
from deploy.k8s_render import K8S, Manifest, render, topic_manifests
from deploy.kafka_users import OPERATOR, service_access, user_manifests
from shared.contracts import EVENT_TYPES
from shared.contracts.subscribers import consumer_groups, lane_group
from shared.events import dlq_topic
from shared.settings import SERVICES, Settings

KUBERNETES_VERSION = "1.32.0"
CUSTOM_KINDS = {
    "KafkaTopic",
    "KafkaUser",
    "Kafka",
    "KafkaNodePool",
    "MongoDBCommunity",
    "ScaledObject",
    "TriggerAuthentication",
}
COMPOSE: dict[str, Any] = yaml_files.load(
    (Path(__file__).parents[3] / "docker-compose.yml").read_text()
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


def vendored_crds() -> dict[tuple[str, str], jsonschema.Draft202012Validator]:
    """(apiVersion, kind) -> a validator of the served version's schema, for every CRD under
    deploy/k8s/vendor."""
    validators = {}
    for path in sorted((K8S / "vendor").glob("*/*.yaml")):
        crd = yaml_files.load(path.read_text())
        assert crd["kind"] == "CustomResourceDefinition", path
        for version in crd["spec"]["versions"]:
            if version["served"]:
                api_version = f"{crd['spec']['group']}/{version['name']}"
                schema = strict(version["schema"]["openAPIV3Schema"])
                key = (api_version, crd["spec"]["names"]["kind"])
                validators[key] = jsonschema.Draft202012Validator(schema)
    return validators


CRDS = vendored_crds()


@overlays
def test_every_object_is_valid_kubernetes_or_valid_against_its_vendored_crd(overlay: str) -> None:
    keys = [
        (o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"])
        for o in RENDERED[overlay]
    ]
    assert len(keys) == len(set(keys)), "an object is declared twice"
    custom: dict[str, int] = {}
    for obj in RENDERED[overlay]:
        if validator := CRDS.get((obj["apiVersion"], obj["kind"])):
            validator.validate(obj)  # raises with the path of the offending field
            assert re.fullmatch(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?", obj["metadata"]["name"])
            custom[obj["kind"]] = custom.get(obj["kind"], 0) + 1
        else:  # a kind Kubernetes 1.32 does not know fails here: none is skipped
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    assert set(custom) == CUSTOM_KINDS
    assert custom["KafkaTopic"] == 2 * len(EVENT_TYPES)
    assert custom["KafkaUser"] == len(SERVICES) + 1  # and the DLQ tool's


def test_a_field_the_crd_does_not_know_fails_validation() -> None:
    [user] = [
        u
        for u in of_kind("production", "KafkaUser").values()
        if u["metadata"]["name"] == "matching"
    ]
    wrong = {**user, "spec": {**user["spec"], "quotas": {"producerByteRate": "fast"}}}
    with pytest.raises(jsonschema.ValidationError):
        CRDS[("kafka.strimzi.io/v1", "KafkaUser")].validate(wrong)
    unknown = {**user, "spec": {**user["spec"], "acl": []}}
    with pytest.raises(jsonschema.ValidationError):
        CRDS[("kafka.strimzi.io/v1", "KafkaUser")].validate(unknown)


@overlays
def test_strimzi_resources_belong_to_the_cluster(overlay: str) -> None:
    for kind in ("KafkaTopic", "KafkaUser", "KafkaNodePool"):
        for obj in of_kind(overlay, kind).values():
            assert obj["metadata"]["labels"]["strimzi.io/cluster"] == "commonweave"


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
    fields = {
        name.removeprefix("COMMONWEAVE_").lower(): value
        for name, value in data.items()
        if name.startswith("COMMONWEAVE_")
    }
    assert set(fields) <= set(Settings.model_fields), set(fields) - set(Settings.model_fields)
    # as a Deployment has them: the ConfigMap, and the credentials from the Secret
    from_secret = {"kafka_username": "matching", "kafka_password": "p"}
    from_secret |= {"mongo_username": "commonweave", "mongo_password": "p"}
    Settings.model_validate(fields | from_secret)
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
            continue  # Prometheus's scrapes: tests/unit/deploy/test_monitoring.py
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
    written = list(yaml_files.load_all((K8S / "base" / "topics.yaml").read_text()))
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


def test_kafka_users_file_is_what_the_generator_writes() -> None:
    written = list(yaml_files.load_all((K8S / "base" / "kafka-users.yaml").read_text()))
    assert written == user_manifests(), "run: python -m deploy.k8s_render users"


def acl_grants(user: Manifest) -> set[tuple[str, str, str]]:
    return {
        (acl["resource"]["type"], acl["resource"]["name"], operation)
        for acl in user["spec"]["authorization"]["acls"]
        for operation in acl["operations"]
    }


def test_each_service_may_write_what_it_publishes_and_read_what_it_consumes_only() -> None:
    users = of_kind("production", "KafkaUser")
    operator = users.pop(OPERATOR)
    assert set(users) == set(SERVICES)
    access = service_access()
    for name, user in users.items():
        assert user["spec"]["authentication"]["type"] == "scram-sha-512"
        grants = acl_grants(user)
        writes = {n for kind, n, op in grants if kind == "topic" and op == "Write"}
        reads = {n for kind, n, op in grants if kind == "topic" and op == "Read"}
        described = {n for kind, n, op in grants if kind == "topic" and op == "Describe"}
        mine = access[name]
        dlqs = {dlq_topic(t) for t in mine.consumes} if mine.groups else set()
        assert writes == set(mine.produces) | dlqs
        assert reads == set(mine.consumes)
        assert described == writes | reads
        groups = {n for kind, n, _ in grants if kind == "group"}
        # one group per lane: the service's, and its urgent lane's if it reads an urgent topic
        lanes = {lane_group(name, topic) for topic in mine.consumes} if mine.groups else set()
        assert groups == lanes == set(mine.groups)
        assert {op for _, _, op in grants} <= {"Read", "Write", "Describe"}  # no Create, no All
    # every event type has exactly one writer, and the publisher is the AsyncAPI document's
    for topic, publisher in PUBLISHERS.items():
        writers = {n for n, u in users.items() if (("topic", topic, "Write") in acl_grants(u))}
        assert writers == {publisher}, topic
    # the DLQ tool's user: read every dead letter, replay it; nothing else
    assert acl_grants(operator) == {
        ("topic", name, op)
        for topic in EVENT_TYPES
        for name, ops in ((dlq_topic(topic), ("Read", "Describe")), (topic, ("Write", "Describe")))
        for op in ops
    }
    assert "organization.registered" in access["matching"].consumes  # the handlers were read
    assert access["matching"].groups == ["matching"] and access["gateway"].groups == []
    assert access["notifications"].groups == ["notifications", "notifications.urgent"]


@overlays
def test_each_deployment_connects_as_its_own_kafka_user_over_tls(overlay: str) -> None:
    data = config(overlay)
    assert data["COMMONWEAVE_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert data["COMMONWEAVE_MONGO_TLS"] == "true"
    [kafka] = of_kind(overlay, "Kafka").values()
    [listener] = kafka["spec"]["kafka"]["listeners"]
    assert listener["tls"] and listener["authentication"]["type"] == "scram-sha-512"
    assert data["COMMONWEAVE_KAFKA_BOOTSTRAP"].endswith(f":{listener['port']}")
    assert kafka["spec"]["kafka"]["authorization"]["type"] == "simple"
    assert kafka["spec"]["entityOperator"]["userOperator"]["watchedNamespace"] == "commonweave"
    users = of_kind(overlay, "KafkaUser")
    for name, deployment in of_kind(overlay, "Deployment").items():
        main = container(deployment)
        env = {v["name"]: v for v in main["env"]}
        assert env["COMMONWEAVE_KAFKA_USERNAME"]["value"] == name
        key = env["COMMONWEAVE_KAFKA_PASSWORD"]["valueFrom"]["secretKeyRef"]["key"]
        password_ref = users[name]["spec"]["authentication"]["password"]["valueFrom"]
        assert password_ref["secretKeyRef"] == {"name": "commonweave-secrets", "key": key}
        mounts = {m["mountPath"] for m in main["volumeMounts"]}
        for variable in ("COMMONWEAVE_KAFKA_CA_FILE", "COMMONWEAVE_MONGO_CA_FILE"):
            assert str(Path(data[variable]).parent) in mounts
        assert "MONGO_PASSWORD" not in env["COMMONWEAVE_MONGO_URL"]["value"]


@overlays
def test_kraft_cluster_and_replica_set_sizes(overlay: str) -> None:
    [pool] = of_kind(overlay, "KafkaNodePool").values()
    [mongo] = of_kind(overlay, "MongoDBCommunity").values()
    size = 3 if overlay == "production" else 1
    assert sorted(pool["spec"]["roles"]) == ["broker", "controller"]  # KRaft, no ZooKeeper
    assert pool["spec"]["replicas"] == mongo["spec"]["members"] == size
    [kafka] = of_kind(overlay, "Kafka").values()
    replication = kafka["spec"]["kafka"]["config"]["default.replication.factor"]
    assert replication == int(config(overlay)["COMMONWEAVE_TOPIC_REPLICATION"]) == size
    assert mongo["spec"]["security"]["tls"]["enabled"]
    [user] = mongo["spec"]["users"]
    databases = {role["db"] for role in user["roles"] if role["name"] == "readWrite"}
    # the services' and the DLQ tool's (deploy/dlq: <prefix>_operations)
    assert databases == {Settings().database_name(s) for s in SERVICES} | {"commonweave_operations"}
    hosts = config(overlay)["MONGO_HOSTS"].split(",")
    assert len(hosts) == size
    assert all(h.startswith(f"{mongo['metadata']['name']}-") for h in hosts)


@overlays
def test_consumers_scale_on_their_groups_lag(overlay: str) -> None:
    scaled = of_kind(overlay, "ScaledObject")
    assert set(scaled) == {"matching", "commitments", "notifications"}
    auths = of_kind(overlay, "TriggerAuthentication")
    secrets = of_kind(overlay, "Secret")
    deployments = of_kind(overlay, "Deployment")
    for name, obj in scaled.items():
        assert obj["spec"]["scaleTargetRef"]["name"] == name
        assert "replicas" not in deployments[name]["spec"]  # KEDA's HPA owns it
        triggers = obj["spec"]["triggers"]
        # a trigger per lane's group: the service's name, and `<service>.urgent` if it has one
        assert [t["metadata"]["consumerGroup"] for t in triggers] == consumer_groups(name)
        for trigger in triggers:
            assert trigger["type"] == "kafka"
            assert trigger["metadata"]["sasl"] == "scram_sha512"
            assert (
                trigger["metadata"]["bootstrapServers"]
                == config(overlay)["COMMONWEAVE_KAFKA_BOOTSTRAP"]
            )
            assert trigger["authenticationRef"] == triggers[0]["authenticationRef"]
        auth = auths[triggers[0]["authenticationRef"]["name"]]["spec"]
        [username] = auth["env"]
        assert (username["name"], username["containerName"]) == ("COMMONWEAVE_KAFKA_USERNAME", name)
        for ref in auth["secretTargetRef"]:
            if ref["name"] == "commonweave-secrets" and overlay == "dev":
                assert ref["key"] in secrets["commonweave-secrets"]["stringData"]
        partitions = int(config(overlay)["COMMONWEAVE_TOPIC_PARTITIONS"])
        assert obj["spec"]["maxReplicaCount"] <= partitions


@overlays
def test_the_ingress_lets_a_survey_of_the_gateways_limit_through(overlay: str) -> None:
    [ingress] = of_kind(overlay, "Ingress").values()
    size = ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"]
    assert int(size) == Settings().gateway_max_survey_bytes


def test_the_monitoring_resources_follow_the_prometheus_operators_crds() -> None:
    """deploy/monitoring (applied apart from the base): its custom resources, validated like
    the base's (its dashboard ConfigMap is generated by kustomize, checked in test_monitoring)."""
    monitoring = K8S.parent / "monitoring"
    listed = yaml_files.load((monitoring / "kustomization.yaml").read_text())["resources"]
    kinds = set()
    for name in listed:
        for obj in yaml_files.load_all((monitoring / name).read_text()):
            validator = CRDS.get((obj["apiVersion"], obj["kind"]))
            assert validator is not None, f"{name}: no vendored CRD for {obj['kind']}"
            validator.validate(obj)
            kinds.add(obj["kind"])
    assert kinds == {"PodMonitor", "PrometheusRule"}
