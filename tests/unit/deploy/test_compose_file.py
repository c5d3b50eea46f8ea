"""docker-compose.yml stays consistent with the code (no Docker engine runs here to try it)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from deploy import yaml_files
from shared.settings import SERVICES, Settings

ROOT = Path(__file__).parents[3]
COMPOSE: dict[str, Any] = yaml_files.load((ROOT / "docker-compose.yml").read_text())
SERVICES_OF_COMPOSE: dict[str, Any] = COMPOSE["services"]


def test_every_service_and_its_infrastructure_is_there() -> None:
    assert {*SERVICES, "kafka", "mongo", "otel-collector", "jaeger"} <= set(SERVICES_OF_COMPOSE)


def test_services_wait_for_healthy_kafka_and_mongo_and_check_their_own_health() -> None:
    for name in SERVICES:
        service = SERVICES_OF_COMPOSE[name]
        assert service["command"] == ["python", "-m", f"services.{name}"]
        port = Settings().port_of(name)
        assert f"localhost:{port}/health/ready'" in " ".join(service["healthcheck"]["test"])
        for dependency in ("kafka", "mongo"):
            assert service["depends_on"][dependency]["condition"] == "service_healthy"
    gateway_deps = SERVICES_OF_COMPOSE["gateway"]["depends_on"]
    for name in ("intake", "matching", "commitments", "notifications"):
        assert gateway_deps[name]["condition"] == "service_healthy"


def test_urls_point_at_compose_services_and_settings_exist() -> None:
    environment = SERVICES_OF_COMPOSE["intake"]["environment"]
    for variable, value in environment.items():
        field = variable.removeprefix("COMMONWEAVE_").lower()
        if field.startswith("smtp_"):
            continue  # notifications' settings, read only by that service
        assert field in Settings.model_fields, f"{variable} is not a setting"
        if field.endswith("_url") and field != "mongo_url":
            host = value.split("//")[1].split(":")[0]
            assert host in SERVICES_OF_COMPOSE


def test_the_image_and_collector_config_exist() -> None:
    assert (ROOT / SERVICES_OF_COMPOSE["intake"]["build"]["dockerfile"]).exists()
    assert (ROOT / "deploy" / "otel-collector.yaml").exists()


def test_kafka_keeps_its_log_on_its_volume() -> None:
    kafka = SERVICES_OF_COMPOSE["kafka"]
    log_dir = kafka["environment"]["KAFKA_LOG_DIRS"]
    mounts = {m.split(":")[1]: m.split(":")[0] for m in kafka["volumes"]}
    assert mounts.get(log_dir) in COMPOSE["volumes"]


def test_mongo_is_healthy_only_with_a_writable_primary() -> None:
    mongo = SERVICES_OF_COMPOSE["mongo"]
    assert mongo["command"][:2] == ["--replSet", "rs0"]
    check = " ".join(mongo["healthcheck"]["test"])
    assert "rs.initiate(" in check and "isWritablePrimary === true ? 0 : 1" in check
    assert "/data/db" in " ".join(mongo["volumes"])


def test_images_are_pinned_to_exact_versions_and_jaeger_is_v2() -> None:
    for name, service in SERVICES_OF_COMPOSE.items():
        if "build" in service:
            continue  # the services' own image, built from this checkout
        image = service["image"]
        assert re.fullmatch(r"[\w./-]+:v?\d+\.\d+\.\d+(@sha256:[0-9a-f]{64})?", image), name
    assert SERVICES_OF_COMPOSE["jaeger"]["image"].startswith("jaegertracing/jaeger:2.")


def test_every_dependency_is_awaited_until_healthy_where_it_can_report() -> None:
    started_only = {"otel-collector", "jaeger"}  # images without a shell or probe to run
    for name, service in SERVICES_OF_COMPOSE.items():
        for dependency, condition in service.get("depends_on", {}).items():
            expected = "service_started" if dependency in started_only else "service_healthy"
            assert condition["condition"] == expected, (name, dependency)
            if expected == "service_healthy":
                assert "healthcheck" in SERVICES_OF_COMPOSE[dependency], dependency
