"""The reminder scheduler with two replicas of the commitments service running at once (and
one killed in the middle of a tick): every due-soon, overdue and check-in-due reminder reaches
Kafka exactly once per item and kind."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from deploy.stack import Stack, settings_env
from tests.support import http
from tests.support.events import read_all
from tests.support.organizations import register
from tests.support.partnerships import COMMIT, form, set_clock, tick
from tests.support.stack import Client, create_network, free_port
from tests.support.wait import eventually

T0 = (datetime.now(UTC) + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
TOPICS = ["commitment.due_soon", "commitment.overdue", "checkin.due"]


def start_replica(stack: Stack, log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        **settings_env(stack.settings),
        "COMMONWEAVE_COMMITMENTS_PORT": str(port),
        "PYTHONUNBUFFERED": "1",
    }
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.commitments"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            response = http.get(f"{url}/health", timeout=5)  # its consumer group joined too
            return response.status_code == 200 and response.json()["status"] == "ok"
        except (httpx.HTTPError, ValueError):
            return False

    eventually(healthy, timeout=60)
    return process, url


@pytest.fixture
def second(stack: Stack, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A second replica of the commitments service, on its own port, same stores."""
    process, url = start_replica(stack, tmp_path / "commitments-2.log")
    try:
        yield process, url
    finally:
        set_clock(stack, None)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(10)


def tick_all_at_once(stack: Stack, urls: list[str], rounds: int = 3) -> None:
    def run(url: str) -> None:
        for _ in range(rounds):
            tick(stack, url)

    threads = [threading.Thread(target=run, args=(url,)) for url in urls for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def reminders(stack: Stack, partnership_id: str) -> Counter[tuple[str, str]]:
    """Distinct events per (kind, item) as consumers see them: the outbox may hand Kafka the
    same event twice after a crash (at least once), and consumers drop a repeated event id."""
    records = asyncio.run(read_all(stack.settings.kafka_bootstrap, TOPICS))
    distinct = {
        (r.topic, headers["ce_subject"], headers["ce_id"])
        for r in records
        for headers in [{k: v.decode() for k, v in r.headers}]
        if json.loads(r.value)["partnership"]["partnership_id"] == partnership_id
    }
    return Counter((topic, subject) for topic, subject, _ in distinct)


def test_two_replicas_send_each_reminder_once(
    stack: Stack, second: tuple[subprocess.Popen[bytes], str]
) -> None:
    process, url = second
    replicas = [stack.service_url("commitments"), url]
    for url in replicas:
        set_clock(stack, T0, url)
    net = create_network(stack, name="Scheduler Network")
    operator = Client(stack.graphql_url, net["operatorToken"])
    ids = [register(operator, net["networkId"], n)["organization"]["id"] for n in ("Oak", "Elm")]
    pid = form(operator, "Oak & Elm", ids, checkInCadence="WEEKLY")["id"]
    due = [T0 + timedelta(days=3, hours=h) for h in (1, 2, 3)]
    commitments = [
        operator.data(
            COMMIT,
            {"i": {"partnershipId": pid, "ownerOrganizationId": ids[0], "title": f"Task {i}",
                   "dueAt": when.isoformat()}},
        )["makeCommitment"]["id"]
        for i, when in enumerate(due)
    ]  # fmt: skip

    # Day 2: all three are due within 48 hours; day 8: all overdue, and a check-in is due.
    for moment in (T0 + timedelta(days=2), T0 + timedelta(days=8)):
        for url in replicas:
            set_clock(stack, moment, url)
        tick_all_at_once(stack, replicas)

    # A replica stopped while its tick may be running: what it committed counts, the rest is
    # sent by the survivor, nothing twice. SIGTERM, not SIGKILL: a transaction of a killed
    # client holds its documents until the store aborts it a minute later (as mongod does),
    # longer than this test waits; tests/faults/test_transactions.py covers that case.
    moment = T0 + timedelta(days=15)  # the next weekly check-in period
    for url in replicas:
        set_clock(stack, moment, url)
    doomed = threading.Thread(target=lambda: _tick_quietly(stack, url))
    doomed.start()
    os.killpg(process.pid, signal.SIGTERM)
    doomed.join()
    process.wait(30)
    tick(stack, replicas[0])

    expected = Counter(
        {("commitment.due_soon", c): 1 for c in commitments}
        | {("commitment.overdue", c): 1 for c in commitments}
    )
    expected[("checkin.due", pid)] = 2  # day 7 and day 14: one per missed period
    # If the killed replica held the outbox relay's lease, the survivor publishes once the
    # lease lapses (seconds): wait for it, then the count must be exact.
    sent = eventually(lambda: _settled(reminders(stack, pid), expected), timeout=60)
    assert sent == expected
    # Replicas racing their transactions left the store healthy: the survivor still writes.
    later = {"partnershipId": pid, "ownerOrganizationId": ids[1], "title": "After the race",
             "dueAt": (moment + timedelta(days=3)).isoformat()}  # fmt: skip
    assert operator.data(COMMIT, {"i": later})["makeCommitment"]["status"] == "OPEN"


def _settled(
    sent: Counter[tuple[str, str]], expected: Counter[tuple[str, str]]
) -> Counter[tuple[str, str]] | None:
    return sent if sent.total() >= expected.total() else None


def _tick_quietly(stack: Stack, url: str) -> None:
    with contextlib.suppress(httpx.HTTPError):  # killed mid-request
        tick(stack, url)
