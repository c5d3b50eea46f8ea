"""Fixtures: one embedded stack (real broker, real document store, five real service
processes on free ports) shared by the integration tests of a session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.stack import Stack
from tests.support.stack import Client, create_network, stack_settings


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    data_dir: Path = tmp_path_factory.mktemp("stack")
    # Tests set the commitments clock and run its scheduler themselves (PUT /clock, POST
    # /scheduler/tick); its own loop waits an hour, so it never races them.
    settings = stack_settings(
        data_dir, webhook_allow_loopback=True, clock_control=True, scheduler_interval_seconds=3600
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
