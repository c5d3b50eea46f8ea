"""Writes what deploy/monitoring ships beside its one hand-written source, `rules.yml`:

- `prometheusrule.yaml`, the same rule groups as a Prometheus Operator `PrometheusRule`;
- `dashboard.json`, a Grafana dashboard of the series the alerts watch (and a few that explain
  them), one row per concern, every panel filterable by service.

`python -m deploy.monitoring_render` rewrites both; `--check` only says whether they are up to
date (tests/unit/deploy/test_monitoring.py asserts they are).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

from deploy import yaml_files

MONITORING = Path(__file__).parent / "monitoring"
RULES = MONITORING / "rules.yml"
PROMETHEUS_RULE = MONITORING / "prometheusrule.yaml"
DASHBOARD = MONITORING / "dashboard.json"
NAMESPACE = "commonweave"
GENERATED = "# Generated from rules.yml by `python -m deploy.monitoring_render`: edit that file.\n"

SERVICE = 'service_name=~"$service"'
RATE = "$__rate_interval"


class _Literal(str):
    """A multi-line PromQL expression, written as a YAML block so it reads as in rules.yml."""


def _literal(dumper: yaml.SafeDumper, text: _Literal) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|")


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Literal, _literal)


def _blocks(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _blocks(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_blocks(item) for item in value]
    if isinstance(value, str) and "\n" in value:
        return _Literal(value)
    return value


def prometheus_rule(rules_text: str) -> str:
    groups = yaml_files.load(rules_text)["groups"]
    resource = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {
            "name": "commonweave",
            "namespace": NAMESPACE,
            "labels": {"app.kubernetes.io/part-of": "commonweave"},
        },
        "spec": {"groups": groups},
    }
    body = yaml.dump(_blocks(resource), Dumper=_Dumper, sort_keys=False, width=1000)
    return GENERATED + body


def _panel(
    title: str,
    targets: list[tuple[str, str]],
    unit: str = "short",
    description: str = "",
) -> dict[str, Any]:
    return {
        "type": "timeseries",
        "title": title,
        "description": description,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"legend": {"displayMode": "table", "placement": "bottom", "calcs": ["max"]}},
        "targets": [
            {
                "refId": chr(ord("A") + index),
                "datasource": {"type": "prometheus", "uid": "${datasource}"},
                "expr": expr,
                "legendFormat": legend,
            }
            for index, (expr, legend) in enumerate(targets)
        ],
    }


# (row title, panels); each panel is half the dashboard's width.
ROWS: list[tuple[str, list[dict[str, Any]]]] = [
    (
        "Messaging",
        [
            _panel(
                "Consumer lag by group and topic",
                [
                    (
                        "sum by (messaging_consumer_group_name, messaging_destination_name) "
                        f"(commonweave_messaging_consumer_lag{{{SERVICE}}})",
                        "{{messaging_consumer_group_name}} ← {{messaging_destination_name}}",
                    )
                ],
                description="Messages not yet processed (alert: ConsumerLagGrowing).",
            ),
            _panel(
                "Dead-lettered messages",
                [
                    (
                        "sum by (service_name, messaging_destination_name, commonweave_dlq_reason) "
                        f"(increase(commonweave_messaging_dlq_messages_total{{{SERVICE}}}[{RATE}]))",
                        "{{service_name}} {{messaging_destination_name}} "
                        "({{commonweave_dlq_reason}})",
                    )
                ],
                description="Sent to <topic>.dlq per interval (alert: DeadLetteredMessages).",
            ),
            _panel(
                "Messages consumed per second",
                [
                    (
                        "sum by (messaging_consumer_group_name, messaging_destination_name) "
                        f"(rate(messaging_client_consumed_messages_total{{{SERVICE}}}[{RATE}]))",
                        "{{messaging_consumer_group_name}} ← {{messaging_destination_name}}",
                    )
                ],
                unit="ops",
            ),
            _panel(
                "Outbox: events not yet taken by Kafka",
                [
                    (
                        f"max by (service_name) (commonweave_outbox_backlog{{{SERVICE}}})",
                        "{{service_name}} pending",
                    ),
                ],
            ),
            _panel(
                "Outbox: oldest pending event's age",
                [
                    (
                        "max by (service_name) "
                        f"(commonweave_outbox_oldest_pending_age_seconds{{{SERVICE}}})",
                        "{{service_name}}",
                    )
                ],
                unit="s",
                description="Alert: OutboxEventsStuck (over 5 minutes for 5 minutes).",
            ),
        ],
    ),
    (
        "Requests",
        [
            _panel(
                "HTTP 5xx share by service",
                [
                    (
                        "sum by (service_name) (rate(http_server_request_duration_seconds_count"
                        f'{{{SERVICE},http_response_status_code=~"5.."}}[{RATE}])) / '
                        "sum by (service_name) (rate(http_server_request_duration_seconds_count"
                        f"{{{SERVICE}}}[{RATE}]))",
                        "{{service_name}}",
                    )
                ],
                unit="percentunit",
                description="Alert: HTTPServerErrors (over 5% for 5 minutes).",
            ),
            _panel(
                "HTTP p99 by service",
                [
                    (
                        "histogram_quantile(0.99, sum by (service_name, le) "
                        "(rate(http_server_request_duration_seconds_bucket"
                        f"{{{SERVICE}}}[{RATE}])))",
                        "{{service_name}}",
                    )
                ],
                unit="s",
            ),
            _panel(
                "GraphQL operations per second by outcome",
                [
                    (
                        "sum by (graphql_operation_type, error_type) "
                        "(rate(commonweave_gateway_operation_duration_seconds_count"
                        f"{{{SERVICE}}}[{RATE}]))",
                        "{{graphql_operation_type}} {{error_type}}",
                    )
                ],
                unit="ops",
                description="error_type: the contract's code of the worst error, none if it "
                "succeeded (alert: GatewayInternalErrors).",
            ),
            _panel(
                "GraphQL p50 and p99 by operation type",
                [
                    (
                        f"histogram_quantile({quantile}, sum by (graphql_operation_type, le) "
                        "(rate(commonweave_gateway_operation_duration_seconds_bucket"
                        f"{{{SERVICE}}}[{RATE}])))",
                        f"{{{{graphql_operation_type}}}} p{round(quantile * 100)}",
                    )
                    for quantile in (0.5, 0.99)
                ],
                unit="s",
                description="Alert: GatewayLatencyHigh (p99 over 2 s for 10 minutes).",
            ),
        ],
    ),
    (
        "Notifications",
        [
            _panel(
                "Deliveries by channel and outcome",
                [
                    (
                        "sum by (commonweave_delivery_channel, commonweave_delivery_outcome) "
                        f"(increase(commonweave_notifications_deliveries_total{{{SERVICE}}}"
                        f"[{RATE}]))",
                        "{{commonweave_delivery_channel}} {{commonweave_delivery_outcome}}",
                    )
                ],
                description="failed: retried later (alert: WebhookDeliveriesFailing).",
            ),
            _panel(
                "Webhooks disabled",
                [
                    (
                        "sum (increase(commonweave_notifications_webhooks_disabled_total"
                        f"{{{SERVICE}}}[{RATE}]))",
                        "disabled",
                    )
                ],
                description="Alert: WebhookDisabled.",
            ),
        ],
    ),
    (
        "Readiness and processes",
        [
            _panel(
                "Ready (1) or not (0), per process",
                [(f"commonweave_service_ready{{{SERVICE}}}", "{{service_name}} {{instance}}")],
                description="The last readiness probe's answer (alert: ServiceNotReady).",
            ),
            _panel(
                "Readiness changes",
                [
                    (
                        "increase(commonweave_service_readiness_changes_total"
                        f"{{{SERVICE}}}[{RATE}])",
                        "{{service_name}} {{instance}}",
                    )
                ],
                description="Alert: ReadinessFlapping (more than 4 in 15 minutes).",
            ),
            _panel(
                "Resident memory",
                [(f"process_resident_memory_bytes{{{SERVICE}}}", "{{service_name}} {{instance}}")],
                unit="bytes",
            ),
            _panel(
                "CPU",
                [
                    (
                        f"rate(process_cpu_seconds_total{{{SERVICE}}}[{RATE}])",
                        "{{service_name}} {{instance}}",
                    )
                ],
                unit="percentunit",
            ),
        ],
    ),
]


def dashboard() -> dict[str, Any]:
    panels: list[dict[str, Any]] = []
    y = 0
    for title, row in ROWS:
        panels.append(
            {
                "type": "row",
                "title": title,
                "collapsed": False,
                "panels": [],  # an open row: its panels follow it at the top level
                "gridPos": _grid(0, y, 24, 1),
            }
        )
        y += 1
        for index, panel in enumerate(row):
            panels.append({**panel, "gridPos": _grid(12 * (index % 2), y + 8 * (index // 2))})
        y += 8 * ((len(row) + 1) // 2)
    for number, panel in enumerate(panels, start=1):
        panel["id"] = number
    return {
        "uid": "commonweave",
        "title": "Commonweave",
        "tags": ["commonweave"],
        "timezone": "utc",
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-3h", "to": "now"},
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "label": "Data source",
                    "type": "datasource",
                    "query": "prometheus",
                },
                {
                    "name": "service",
                    "label": "Service",
                    "type": "query",
                    "datasource": {"type": "prometheus", "uid": "${datasource}"},
                    "query": {
                        "query": "label_values(commonweave_service_ready, service_name)",
                        "refId": "service",
                    },
                    "definition": "label_values(commonweave_service_ready, service_name)",
                    "includeAll": True,
                    "multi": True,
                    "allValue": ".*",
                    "current": {"text": "All", "value": "$__all"},
                    "refresh": 2,
                },
            ]
        },
        "panels": panels,
    }


def _grid(x: int, y: int, w: int = 12, h: int = 8) -> dict[str, int]:
    return {"x": x, "y": y, "w": w, "h": h}


def dashboard_json() -> str:
    return json.dumps(dashboard(), indent=2, ensure_ascii=False) + "\n"


def rendered() -> dict[Path, str]:
    return {
        PROMETHEUS_RULE: prometheus_rule(RULES.read_text()),
        DASHBOARD: dashboard_json(),
    }


def main() -> None:
    check = sys.argv[1:] == ["--check"]
    if sys.argv[1:] not in ([], ["--check"]):
        sys.exit("usage: python -m deploy.monitoring_render [--check]")
    stale = [path for path, text in rendered().items() if _read(path) != text]
    if check:
        for path in stale:
            print(f"{path} is out of date: run python -m deploy.monitoring_render")
        sys.exit(1 if stale else 0)
    for path, text in rendered().items():
        path.write_text(text)
        print(f"wrote {path}")


def _read(path: Path) -> str | None:
    return path.read_text() if path.exists() else None


if __name__ == "__main__":
    main()
