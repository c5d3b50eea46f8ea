"""docker-compose.yml stays consistent with the code (no Docker engine runs here to try it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from shared.settings import SERVICES, Settings

ROOT = Path(__file__).parents[2]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES_OF_COMPOSE: dict[str, Any] = COMPOSE["services"]


def test_every_service_and_its_infrastructure_is_there() -> None:
    assert {*SERVICES, "kafka", "mongo", "otel-collector", "jaeger"} <= set(SERVICES_OF_COMPOSE)


def test_services_wait_for_healthy_kafka_and_mongo_and_check_their_own_health() -> None:
    for name in SERVICES:
        service = SERVICES_OF_COMPOSE[name]
        assert service["command"] == ["python", "-m", f"services.{name}"]
        port = Settings().port_of(name)
        assert f"localhost:{port}/health" in " ".join(service["healthcheck"]["test"])
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
