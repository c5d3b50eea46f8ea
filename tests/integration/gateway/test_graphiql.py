"""GraphiQL renders offline: Debian's headless chromium loads /graphql from a gateway started
alone in-process (the page needs no other service) with every other host unresolvable, and
the editor, the starter query and the headers tab are on the page. Outside CI the test skips
when chromium is missing; in CI (`CI` set, as `.ci/run` does) it fails instead. And the
starter query the page opens with returns data, run against the session stack with the token
and the network id it asks for."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.stack import Stack
from tests.support import http
from tests.support.browser import chromium_path
from tests.support.gateway import lone_gateway, lone_settings
from tests.support.stack import Client

OFFLINE = "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"


@pytest.fixture(scope="module")
def chromium() -> str:
    return chromium_path()


@pytest.fixture(scope="module")
def gateway_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with lone_gateway(lone_settings(tmp_path_factory.mktemp("gateway"))) as url:
        yield url


def headless(chromium: str, *args: str) -> str:
    command = [
        chromium,
        "--headless",
        "--no-sandbox",  # CI runs as root
        "--disable-gpu",
        f"--host-resolver-rules={OFFLINE}",
        "--virtual-time-budget=15000",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


def test_graphiql_renders_offline(chromium: str, gateway_url: str, tmp_path: Path) -> None:
    page = http.get(f"{gateway_url}/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "graphiql.min.js" in page.text
    dom = headless(chromium, "--dump-dom", f"{gateway_url}/graphql")
    assert 'class="graphiql-container' in dom, dom[:2000]
    assert "graphiql-query-editor" in dom
    assert "Loading GraphiQL" not in dom
    assert "partnerships" in dom and "unreadNotificationCount" in dom  # the starter query
    assert "Bearer &lt;a token from make demo&gt;" in dom  # the headers tab
    screenshot = tmp_path / "graphiql.png"
    headless(
        chromium, "--window-size=1280,800", f"--screenshot={screenshot}", f"{gateway_url}/graphql"
    )
    assert screenshot.read_bytes().startswith(b"\x89PNG") and screenshot.stat().st_size > 20_000


def test_the_starter_query_returns_data(
    stack: Stack, operator: Client, network: dict[str, str]
) -> None:
    page = http.get(stack.graphql_url, headers={"accept": "text/html"}, timeout=10)
    found = re.search(r"const STARTER = (.*);\n", page.text)
    assert found, page.text[:2000]
    starter = json.loads(found.group(1).replace("<\\/", "</"))
    assert "Bearer" in starter["headers"] and "networkId" in starter["variables"]
    variables = {**json.loads(starter["variables"]), "networkId": network["networkId"]}
    body = operator.execute(starter["query"], variables)
    assert not body.get("errors"), body
    data = body["data"]
    assert data["network"]["name"] == "Lane Network"
    assert data["me"]["role"]
    assert data["partnerships"]["edges"] == [] and data["needs"]["edges"] == []
    assert isinstance(data["unreadNotificationCount"], int)
