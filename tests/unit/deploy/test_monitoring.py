"""deploy/monitoring, checked offline: promtool accepts the rules and passes their unit tests,
every alert has a test and a runbook section, the PrometheusRule and dashboard are what the
generator writes from rules.yml, and the pods are scraped where they serve /metrics.
(tests/integration/platform/test_prometheus.py checks that every metric queried here is in a
scrape.)"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

from deploy import yaml_files
from deploy.k8s_render import K8S, render
from deploy.monitoring_render import MONITORING, RULES, dashboard, rendered
from shared.settings import SERVICES, Settings
from tests.support.monitoring import (
    dashboard_expressions,
    metric_names,
    promtool_path,
    rule_expressions,
)

ROOT = Path(__file__).parents[3]
OPERATIONS = ROOT / "docs" / "operations.md"
RUNBOOK = "docs/operations.md#"
GROUPS: list[dict[str, Any]] = yaml_files.load(RULES.read_text())["groups"]
ALERTS = {rule["alert"]: rule for group in GROUPS for rule in group["rules"]}


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool_path(), *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_promtool_accepts_the_rules() -> None:
    checked = promtool("check", "rules", str(RULES))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(ALERTS)} rules found" in checked.stdout


def test_every_alert_passes_its_promtool_unit_tests() -> None:
    tested = promtool("test", "rules", str(MONITORING / "rules-test.yml"))
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_every_alert_has_a_unit_test() -> None:
    tests = yaml_files.load((MONITORING / "rules-test.yml").read_text())["tests"]
    tested = {case["alertname"] for test in tests for case in test["alert_rule_test"]}
    assert tested == set(ALERTS)


def test_compose_prometheus_config_is_valid_and_scrapes_every_service() -> None:
    config = MONITORING / "prometheus.yml"
    checked = promtool("check", "config", str(config))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    [job] = yaml_files.load(config.read_text())["scrape_configs"]
    [targets] = job["static_configs"]
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert set(targets["targets"]) == {f"{name}:{settings.port_of(name)}" for name in SERVICES}
    compose = yaml_files.load((ROOT / "docker-compose.yml").read_text())["services"]
    mounted = {m.split(":")[0] for m in compose["prometheus"]["volumes"]}
    assert mounted == {"./deploy/monitoring/prometheus.yml", "./deploy/monitoring/rules.yml"}


def github_anchor(heading: str) -> str:
    """The id GitHub gives a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_alert_links_its_own_runbook_section() -> None:
    headings = re.findall(r"^## (.+)$", OPERATIONS.read_text(), flags=re.MULTILINE)
    anchors = {github_anchor(h) for h in headings}
    for name, rule in ALERTS.items():
        url = rule["annotations"]["runbook_url"]
        assert RUNBOOK in url, name
        anchor = url.split(RUNBOOK)[1]
        assert anchor == github_anchor(f"Alert: {name}") and anchor in anchors, name
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]


def test_every_runbook_section_says_what_it_means_how_to_check_and_what_to_do() -> None:
    sections = re.split(r"^## ", OPERATIONS.read_text(), flags=re.MULTILINE)
    alerts = {s.split("\n", 1)[0].removeprefix("Alert: "): s for s in sections if "Alert: " in s}
    assert set(alerts) == set(ALERTS)
    for name, text in alerts.items():
        for part in ("### What it means", "### How to check", "### What to do"):
            assert part in text, f"{name}: {part}"


def test_the_prometheus_rule_and_dashboard_are_what_the_generator_writes() -> None:
    for path, text in rendered().items():
        assert path.read_text() == text, "run: python -m deploy.monitoring_render"
    prometheus_rule = yaml_files.load((MONITORING / "prometheusrule.yaml").read_text())
    assert prometheus_rule["apiVersion"] == "monitoring.coreos.com/v1"
    assert prometheus_rule["spec"]["groups"] == GROUPS


def test_the_dashboard_shows_every_series_an_alert_watches() -> None:
    alerted = {n for expr in rule_expressions() for n in metric_names(expr)}
    shown = {n for expr in dashboard_expressions() for n in metric_names(expr)}
    assert alerted <= shown
    ids = [panel["id"] for panel in dashboard()["panels"]]
    assert len(ids) == len(set(ids))


def test_metric_names_are_read_out_of_promql() -> None:
    expr = (
        'histogram_quantile(0.99, sum by (le, a) (rate(x_bucket{b="c{d}"}[5m]))) > 2 '
        "and on (a) y offset 15m unless z_total / ignoring (e) w"
    )
    assert metric_names(expr) == {"x_bucket", "y", "z_total", "w"}


def test_the_pods_are_scraped_where_they_serve_metrics() -> None:
    monitoring = yaml_files.load((MONITORING / "kustomization.yaml").read_text())
    for entry in monitoring["resources"] + monitoring["configMapGenerator"][0]["files"]:
        assert (MONITORING / entry).exists(), entry
    [endpoint] = yaml_files.load((MONITORING / "podmonitor.yaml").read_text())["spec"][
        "podMetricsEndpoints"
    ]
    selector = yaml_files.load((MONITORING / "podmonitor.yaml").read_text())["spec"]["selector"]
    objects = render(K8S / "overlays" / "production")
    deployments = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Deployment"}
    assert set(deployments) == set(SERVICES)
    for name, deployment in deployments.items():
        template = deployment["spec"]["template"]
        assert selector["matchLabels"].items() <= template["metadata"]["labels"].items()
        [container] = template["spec"]["containers"]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        annotations = template["metadata"]["annotations"]
        port = Settings(_env_file=None).port_of(name)  # type: ignore[call-arg]
        assert ports[endpoint["port"]] == int(annotations["prometheus.io/port"]) == port
        assert annotations["prometheus.io/path"] == endpoint["path"] == "/metrics"
    [policy] = [
        o
        for o in objects
        if o["kind"] == "NetworkPolicy" and o["metadata"]["name"] == "metrics-from-prometheus"
    ]
    assert policy["spec"]["podSelector"] == selector
    [rule] = policy["spec"]["ingress"]
    assert {p["port"] for p in rule["ports"]} == {Settings().port_of(n) for n in SERVICES}
