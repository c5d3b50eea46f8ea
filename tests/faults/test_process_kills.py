"""Kill anything, lose nothing: under load, the broker and then a service are killed with
SIGKILL while the runner supervises the stack. The runner starts them again, and every
accepted registration has exactly one effect of each kind downstream: one welcome and one
operator note in notifications, one profile in matching and in commitments. After the broker's
restart (a new cluster id: it lost its log) every consumer has read its partitions from the
beginning again rather than from its positions in the old log."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import pytest

from deploy.stack import Stack
from tests.support.audit import duplicated, effects, missing
from tests.support.organizations import REGISTER, registration
from tests.support.stack import Client, create_network, stack_settings
from tests.support.supervision import supervised
from tests.support.wait import eventually

CONSUMERS = ("matching", "commitments", "notifications")
# what EventConsumer.follow_broker (shared/consumer.py) logs when the cluster id changed
REWOUND = "assigned partitions read from the beginning"


@pytest.fixture(scope="module", name="supervised")
def supervised_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    data_dir: Path = tmp_path_factory.mktemp("kills")
    lines: list[str] = []
    with Stack(stack_settings(data_dir), report=lines.append) as running, supervised(running):
        yield running


def register_under(stack: Stack, kill: str, count: int = 40) -> list[str]:
    """Registers `count` organizations at about 10/s, killing `kill` a third of the way in;
    answers the ids of those accepted."""
    network = create_network(stack)
    operator = Client(stack.graphql_url, network["operatorToken"])

    def register(i: int) -> str | None:
        if i == count // 3:
            process = stack.components[kill].process
            assert process is not None
            os.killpg(process.pid, signal.SIGKILL)
        time.sleep(max(0.0, i * 0.1 - (time.monotonic() - began)))
        body = operator.execute(
            REGISTER,
            {"input": registration(network["networkId"], f"{kill} org {i}", f"k{i}@x.org")},
            headers={"Idempotency-Key": f"{network['networkId']}-{i}"},
        )
        if body.get("errors"):
            return None
        found: str = body["data"]["registerOrganization"]["organization"]["id"]
        return found

    began = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        accepted = [org for org in pool.map(register, range(count)) if org]
    return accepted


def rewound(log: Path) -> bool:
    return REWOUND in log.read_text(errors="replace")


def exactly_once(stack: Stack, accepted: list[str]) -> bool:
    found = effects(stack, accepted)
    return not missing(found, accepted) and not duplicated(found, accepted)


@pytest.mark.parametrize("kill", ["broker", "matching"])
def test_a_killed_process_is_restarted_and_nothing_is_lost(supervised: Stack, kill: str) -> None:
    restarts = len(supervised.components[kill].restarts)
    accepted = register_under(supervised, kill)
    assert len(accepted) >= 30, f"only {len(accepted)} of 40 accepted"
    eventually(lambda: len(supervised.components[kill].restarts) > restarts, timeout=30)
    assert eventually(lambda: exactly_once(supervised, accepted), timeout=90), effects(
        supervised, accepted
    )
    if kill == "broker":
        for consumer in CONSUMERS:
            log = supervised.components[consumer].log_path
            assert eventually(partial(rewound, log)), consumer
