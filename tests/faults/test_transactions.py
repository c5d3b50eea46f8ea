"""The document store isolates transactions, and the services' transaction code keeps
MongoDB's contract: replicas writing the same documents lose no update, and a replica killed
inside a transaction does not stop the others (the store aborts the dead transaction, as
mongod does after 60 s, and the survivors' retries then succeed)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

from pymongo import MongoClient

from deploy.stack import Stack
from tests.support.replica import COUNTER


def replica(stack: Stack, database: str, *args: str) -> subprocess.Popen[str]:
    argv = [sys.executable, "-m", "tests.support.replica", stack.settings.mongo_url, database]
    return subprocess.Popen([*argv, *args], stdout=subprocess.PIPE, text=True)


def counted(stack: Stack, database: str) -> tuple[int, int]:
    with MongoClient(stack.settings.mongo_url) as mongo:
        db = mongo[database]
        counter = db["counters"].find_one(COUNTER) or {"n": 0}
        return counter["n"], db["outbox"].count_documents({})


def test_two_replicas_writing_the_same_document_lose_no_update(stack: Stack) -> None:
    database = f"txn_{uuid.uuid4().hex[:8]}"
    replicas = [replica(stack, database, "increment", "60") for _ in range(2)]
    for process in replicas:
        out, _ = process.communicate(timeout=120)
        assert process.returncode == 0 and "done" in out
    # every increment counted once, each with its one event
    assert counted(stack, database) == (120, 120)


def test_a_replica_killed_inside_a_transaction_does_not_stop_the_others(stack: Stack) -> None:
    database = f"txn_{uuid.uuid4().hex[:8]}"
    doomed = replica(stack, database, "hold")
    assert doomed.stdout is not None and doomed.stdout.readline().strip() == "holding"
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait()

    began = time.monotonic()
    survivor = replica(stack, database, "increment", "8")
    out, _ = survivor.communicate(timeout=150)
    assert survivor.returncode == 0 and "done" in out
    # the dead transaction's increment was rolled back; the survivor's all landed
    assert counted(stack, database) == (8, 8)
    assert time.monotonic() - began < 120
