"""The embedded store's corrections (deploy/embedded_store.py): the reaper of idle transactions
never waits on a transaction that is running a statement and still aborts those idle past their
lifetime; the TTL sweep and `$or` queries answer as SecantusDB's own; the profiling level is
kept once read and a change is seen at once; a stop wakes the thread accepting connections."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from secantus.server import SecantusDBServer
from secantus.storage import Storage
from secantus.transactions import TransactionRegistry, TxnState

from deploy import embedded_store
from deploy.embedded_store import (
    SECANTUS_INDEX_ID_KEYS,
    SECANTUS_PRUNE_TTL,
    index_id_keys,
    install,
    profile_of,
    prune_expired,
    reap_idle_transactions,
    set_profile,
    stop,
)

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


def stored(storage: Storage, db: str, coll: str) -> set[str]:
    return {doc["_id"] for doc in storage.find_matching(db, coll, {})}


def test_the_ttl_sweep_deletes_what_secantusdbs_own_deletes() -> None:
    """Expired documents by a TTL index's range, a partial TTL index's filter kept, compound
    and `_id` indexes ignored: the same as SecantusDB's own walk of every document."""
    now = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
    old, fresh = now - dt.timedelta(hours=2), now - dt.timedelta(minutes=5)
    docs = [
        {"_id": "old", "at": old},
        {"_id": "fresh", "at": fresh},
        {"_id": "no date", "at": "yesterday"},
        {"_id": "no field"},
        {"_id": "old, kept by the partial filter", "sent": old, "kind": "audit"},
        {"_id": "old, in the partial index", "sent": old, "kind": "mail"},
        {"_id": "old dates in an array", "at": [old, fresh]},
    ]
    left = {}
    for sweep in (SECANTUS_PRUNE_TTL, prune_expired):
        storage = Storage(":memory:", ttl_sweep_seconds=0)
        try:
            storage.insert("db", "things", [dict(doc) for doc in docs])
            storage.create_index("db", "things", "at_1", {"at": 1}, {"expireAfterSeconds": 3600})
            partial = {"expireAfterSeconds": 60, "partialFilterExpression": {"kind": "mail"}}
            storage.create_index("db", "things", "sent_1", {"sent": 1}, partial)
            storage.create_index("db", "things", "at_sent", {"at": 1, "sent": 1}, {})
            sweep(storage, "db", "things", now=now)
            left[sweep] = stored(storage, "db", "things")
        finally:
            storage.close()
    assert prune_expired is not SECANTUS_PRUNE_TTL
    assert left[prune_expired] == left[SECANTUS_PRUNE_TTL]
    assert left[prune_expired] == {
        "fresh",
        "no date",
        "no field",
        "old, kept by the partial filter",
    }


def test_an_or_query_finds_from_its_branches_indexes_what_a_scan_finds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    storage = Storage(":memory:", ttl_sweep_seconds=0)
    try:
        storage.insert(
            "db",
            "recipients",
            [
                {"_id": f"mem_{i}", "network_id": f"net_{i // 10}", "org": f"org_{i // 2}"}
                for i in range(200)
            ],
        )
        storage.create_index("db", "recipients", "org_1", {"org": 1}, {})
        queries = [
            {
                "network_id": {"$in": ["net_3"]},
                "$or": [{"org": {"$in": ["org_15"]}}, {"_id": "mem_7"}],
            },
            {"$or": [{"org": "org_1"}, {"_id": {"$in": ["mem_2", "mem_3", "mem_150"]}}]},
            {"$or": [{"org": "org_1"}, {"network_id": "net_9"}]},  # a branch without an index
            {"$or": [{"org": "org_1"}, {"org": "org_1"}]},  # a document found twice
        ]
        install()
        planned = [SECANTUS_INDEX_ID_KEYS, index_id_keys]
        assert index_id_keys(storage, "db", "recipients", queries[0]) is not None
        assert index_id_keys(storage, "db", "recipients", queries[2]) is None  # a scan, as before
        found = {}
        for planner in planned:
            monkeypatch.setattr(Storage, "_try_index_id_keys", planner)
            found[planner] = [
                sorted(doc["_id"] for doc in storage.find_matching("db", "recipients", query))
                for query in queries
            ]
        assert found[index_id_keys] == found[SECANTUS_INDEX_ID_KEYS]
        assert found[index_id_keys][0] == ["mem_30", "mem_31"]
        assert found[index_id_keys][3] == ["mem_2", "mem_3"]
    finally:
        storage.close()


def test_the_profiling_level_is_read_once_and_a_change_is_seen_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reads: list[str] = []
    secantus_get_profile = embedded_store.SECANTUS_GET_PROFILE

    def counted(storage: Storage, db: str) -> dict[str, Any]:
        reads.append(db)
        return secantus_get_profile(storage, db)  # type: ignore[no-any-return]

    monkeypatch.setattr(embedded_store, "SECANTUS_GET_PROFILE", counted)
    storage = Storage(":memory:", ttl_sweep_seconds=0)
    try:
        assert profile_of(storage, "db") == {"level": 0, "slowms": 100, "sampleRate": 1.0}
        profile_of(storage, "db")["level"] = 2  # a caller's copy, not what is kept
        assert profile_of(storage, "db")["level"] == 0
        assert reads == ["db"]  # read once, then kept
        set_profile(storage, "db", level=1, slowms=5)
        assert profile_of(storage, "db") == {"level": 1, "slowms": 5, "sampleRate": 1.0}
        assert profile_of(storage, "other")["level"] == 0
        assert reads == ["db", "db", "other"]
    finally:
        storage.close()


def test_a_stop_wakes_the_thread_blocked_accepting_connections() -> None:
    server = SecantusDBServer(port=0, storage_path=":memory:", replica_set_name=None)
    server.start()
    accepting = server._thread
    assert accepting is not None and accepting.is_alive()
    stop(server)
    # SecantusDB's own stop closed the socket, which leaves accept() blocked on Linux: it
    # waited 2 s for the thread and returned with it still alive
    assert not accepting.is_alive()
