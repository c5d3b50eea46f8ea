"""What deploy/monitoring asks of a scrape: promtool to check the rules with, and the metric
names its alert rules and dashboard query."""

from __future__ import annotations

import json
import os
import re
import shutil

import pytest

from deploy import yaml_files
from deploy.monitoring_render import DASHBOARD, RULES

KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left"}
KEYWORDS |= {"group_right", "offset", "bool", "inf", "nan"}


def promtool_path() -> str:
    """promtool's path; outside CI a missing promtool skips, in CI (`CI` set) it fails."""
    path = shutil.which("promtool")
    if path:
        return path
    if os.environ.get("CI"):
        pytest.fail("promtool is missing (.ci/run installs Debian's prometheus package)")
    pytest.skip("promtool is not installed (apt-get install prometheus)")


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads: what is left once strings, label matchers,
    ranges, grouping clauses, function calls and keywords are taken out."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)
    text = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = re.findall(r"(?<![\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()", text)
    return {name for name in names if name.lower() not in KEYWORDS}


def rule_expressions() -> list[str]:
    groups = yaml_files.load(RULES.read_text())["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def dashboard_expressions() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [target["expr"] for panel in panels for target in panel.get("targets", [])]


def monitored_names() -> set[str]:
    """Every metric name the alert rules and the dashboard query."""
    return {
        name for expr in rule_expressions() + dashboard_expressions() for name in metric_names(expr)
    }
