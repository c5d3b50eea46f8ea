"""Fixtures: one embedded stack (real broker, real document store, five real service
processes on free ports) and a real SMTP server shared by the integration tests of a session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.stack import Stack
from tests.support.notifications import MailServer
from tests.support.stack import Client, create_network, stack_settings

# First of all, on stacks that hold little yet: the modules that move the commitments clock
# weeks or months ahead and run its scheduler (the demo's quarter among them). A tick sends the
# reminders of every partnership the stack holds, so a quarter's tick after most of the suite
# set off hundreds of reminders and notifications: test_quarter took 18-24 s there, 5 s first.
# Then the longest modules: `make test` runs the suite on several workers (pytest-xdist, a
# module at a time, in this order: the Makefile's BY_MODULE), and a long module handed out last
# would leave one worker running it alone. The order within a module stays as written.
LONGEST_FIRST = (
    "faults/test_process_kills.py",
    "faults/test_scale_out.py",
    "faults/test_readiness.py",
    "faults/test_restart_bench.py",
    "faults/test_transactions.py",
    "faults/test_outbox_replay.py",
    "integration/commitments/test_quarter.py",
    "integration/gateway/test_dashboard.py",
    "integration/commitments/test_scheduler.py",
    "integration/commitments/test_health_warning.py",
    "integration/platform/test_readme.py",
    "integration/platform/test_benches.py",
    "integration/app/test_app_journeys.py",
    "integration/platform/test_operations.py",
    "integration/platform/test_consumer_lanes.py",
    "integration/gateway/test_roles.py",
    "integration/notifications/test_preferences.py",
    "integration/gateway/test_batching.py",
    "integration/gateway/test_resilience.py",
    "integration/notifications/test_channels.py",
    "integration/notifications/test_webhook_lifecycle.py",
    "integration/platform/test_stack_startup.py",
)
TESTS = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rest = len(LONGEST_FIRST)  # the rank of every other module: after them
    rank = {name: position for position, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.relative_to(TESTS).as_posix(), rest))


@pytest.fixture(scope="session")
def mail() -> Iterator[MailServer]:
    """The session stack's SMTP server (a test that stops it starts it again)."""
    server = MailServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, mail: MailServer) -> Iterator[Stack]:
    data_dir: Path = tmp_path_factory.mktemp("stack")
    # Tests set the commitments clock and run its scheduler themselves (PUT /clock, POST
    # /scheduler/tick); its own loop waits an hour, so it never races them. Email and webhooks
    # are retried within a second or two and a webhook is disabled after two failures, so
    # the notification tests see both happen quickly.
    settings = stack_settings(
        data_dir,
        webhook_allow_loopback=True,
        webhook_max_failures=2,
        smtp_host="127.0.0.1",
        smtp_port=mail.port,
        email_poll_seconds=0.2,
        email_max_backoff_seconds=1.0,
        clock_control=True,
        fault_injection=True,  # PUT /faults: a test makes a handler fail (shared.faults)
        scheduler_interval_seconds=3600,
        # The embedded broker delays a new group's first join by half of this, and a restarted
        # service's groups wait for its old members to expire (it keeps them after their
        # LeaveGroup): the tests that restart a service here rejoined in 11 s at 6 s, in 3 s at
        # 3 s (heartbeats each second: shared/consumer.py). Not for the fault tests' stacks:
        # under their load a consumer catching up missed its heartbeats for 3 s (RELIABILITY.md).
        kafka_session_timeout_ms=3_000,
    )
    with Stack(settings, report=lambda line: None) as running:
        yield running


@pytest.fixture(scope="session")
def gql(stack: Stack) -> Client:
    return Client(stack.graphql_url)


@pytest.fixture
def network(stack: Stack) -> dict[str, str]:
    """A new network; `operatorToken`, `networkId` and `joinCode` as the CLI prints them."""
    return create_network(stack)


@pytest.fixture
def operator(gql: Client, network: dict[str, str]) -> Client:
    return gql.as_(network["operatorToken"])
