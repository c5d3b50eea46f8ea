"""The embedded store's reaper of idle transactions (deploy/embedded_store.py) never waits on a
transaction that is running a statement, and still aborts those idle past their lifetime."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from secantus.transactions import TransactionRegistry, TxnState

from deploy.embedded_store import install, reap_idle_transactions

LIFETIME = 60.0


class Now:
    def __init__(self) -> None:
        self.at = 1_000.0

    def __call__(self) -> float:
        return self.at


def registry(now: Now) -> TransactionRegistry:
    return TransactionRegistry(lifetime_seconds=LIFETIME, time_func=now)


@contextmanager
def running_statement(txn: Any) -> Iterator[None]:
    """Holds the transaction's lock from another thread, as a connection running one of its
    statements does (the lock is reentrant: held by the test's own thread it would not bar)."""
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with txn.mutex:
            holding.set()
            release.wait(5.0)

    thread = threading.Thread(target=hold)
    thread.start()
    holding.wait(2.0)
    try:
        yield
    finally:
        release.set()
        thread.join()


def start(transactions: TransactionRegistry, session: bytes, number: int = 1) -> Any:
    txn, error = transactions.for_statement(session, None, number, start=True)
    assert error is None
    return txn


def test_a_statement_does_not_wait_for_another_transactions_statement() -> None:
    install()
    now = Now()
    transactions = registry(now)
    running = start(transactions, b"a")
    answered = threading.Event()

    def other_session() -> None:
        now.at += 5.0  # past the once-a-second limit: the reaper looks
        start(transactions, b"b")
        answered.set()

    with running_statement(running):
        thread = threading.Thread(target=other_session)
        thread.start()
        assert answered.wait(2.0), "a statement of b waited for a's statement to finish"
    thread.join()


def test_a_transaction_idle_past_its_lifetime_is_still_aborted() -> None:
    now = Now()
    transactions = registry(now)
    idle, busy = start(transactions, b"idle"), start(transactions, b"busy")
    now.at += LIFETIME + 1
    with running_statement(busy):
        assert reap_idle_transactions(transactions) == 1
    assert idle.state is TxnState.ABORTED
    assert busy.state is TxnState.IN_PROGRESS
    assert reap_idle_transactions(transactions) == 0  # looked a moment ago: not again yet
    now.at += 2.0
    assert reap_idle_transactions(transactions) == 1  # busy was idle past its lifetime too
    assert busy.state is TxnState.ABORTED
