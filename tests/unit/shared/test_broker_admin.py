"""The broker admin's questions (`shared.broker.BrokerAdmin`) answer within their time on a
hung broker (paused with SIGSTOP: it accepts connections and answers nothing), rather than
after aiokafka's 40 s request timeout, and the next question after it answers again."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from shared.broker import QUESTION_SECONDS, BrokerAdmin
from shared.settings import Settings
from tests.support.wait import eventually


def all_threads_stopped(pid: int) -> bool:
    """Every thread of the process is in state T (stopped by a signal)."""
    states = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        states.append((task / "stat").read_text().rsplit(")", 1)[1].split()[0])
    return all(state == "T" for state in states)


async def test_a_hung_broker_is_given_up_on_within_the_question_time(
    broker: tuple[subprocess.Popen[bytes], int],
) -> None:
    process, port = broker
    admin = BrokerAdmin(Settings(_env_file=None, kafka_bootstrap=f"127.0.0.1:{port}"))  # type: ignore[call-arg]
    try:
        cluster = await admin.cluster_id()
        process.send_signal(signal.SIGSTOP)
        # a stop takes effect as each thread next enters the kernel: a thread of the broker's
        # running on the other core answered a question sent right after the signal
        eventually(lambda: all_threads_stopped(process.pid), timeout=5)
        for question in (admin.cluster_id(), admin.committed("g", [("t", 0)])):
            began = time.monotonic()
            with pytest.raises(TimeoutError):
                await question
            assert time.monotonic() - began < QUESTION_SECONDS + 2
        process.send_signal(signal.SIGCONT)
        assert await admin.cluster_id() == cluster  # a new client, the same broker
    finally:
        process.send_signal(signal.SIGCONT)
        await admin.close()
