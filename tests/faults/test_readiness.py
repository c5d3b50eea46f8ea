"""Ready means ready: until every service has answered ready, the gateway answers every
operation UNAVAILABLE, saying the stack is starting (never half-started); once the runner
says "up", the first request has its whole effect."""

from __future__ import annotations

from pathlib import Path

from deploy.stack import Stack
from tests.support import http
from tests.support.gateway import lone_gateway, lone_settings
from tests.support.notifications import INBOX
from tests.support.organizations import REGISTER, registration
from tests.support.stack import Client, create_network, stack_settings
from tests.support.wait import eventually


def test_a_starting_stack_answers_unavailable_and_not_ready(tmp_path: Path) -> None:
    with lone_gateway(lone_settings(tmp_path)) as url:
        body = http.post(f"{url}/graphql", json={"query": "{ __typename }"}).json()
        [error] = body["errors"]
        assert error["extensions"]["code"] == "UNAVAILABLE"
        assert error["extensions"]["retryable"] is True
        assert "starting" in error["message"]
        assert http.get(f"{url}/health/ready").status_code == 503
        assert http.get(f"{url}/health/live").status_code == 200


def test_the_first_request_after_up_has_its_whole_effect(tmp_path: Path) -> None:
    with Stack(stack_settings(tmp_path), report=lambda line: None) as stack:
        # no wait here: "up" (start() returning) must mean every service is ready
        network = create_network(stack)
        operator = Client(stack.graphql_url, network["operatorToken"])
        answer = operator.data(
            REGISTER, {"input": registration(network["networkId"], "First", "first@x.org")}
        )
        admin = operator.as_(answer["registerOrganization"]["adminToken"])
        inbox = eventually(lambda: admin.data(INBOX)["notifications"]["edges"], timeout=15)
        assert [e["node"]["kind"] for e in inbox] == ["organization.registered"]
