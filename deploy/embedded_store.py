"""The embedded stack's document store: SecantusDB's own server (`secantusd-py`), started with
corrections of whole-store stalls that grew with the data, and of a lock taken per command.

**Idle transactions.**
SecantusDB looks for transactions idle past their lifetime (60 s) before every statement,
commit and abort, under the lock that every transaction statement takes, and it takes each
transaction's own lock to look: a lock held while one of that transaction's statements runs.
So every statement waited, holding the registry's lock, for every statement running in any
other transaction, and with 13 or more waiting (90 connection threads, each lock passed on
through the GIL) each store operation took 200-400 ms. A stack did well for minutes, then a
moment of contention (another process taking a core) started the queue, and it never drained:
the soak's consumers fell from 300 events a minute to 35 and never caught up (RELIABILITY.md,
"The soak"). A transaction whose lock is held is running a statement, so it is not idle:
the reaper here skips it instead of waiting for it, and looks at most once a second.

**Queries with `$or`.** SecantusDB's planner answers a query from an index only when every
top-level key is a field, so any query with a top-level `$or` read every document of its
collection, even with every branch indexed (MongoDB runs each branch on its index): 302 ms
against 1.8 ms at 20,000 notification recipients (`bench.or_queries`). Here such a query's
candidates are the union of each branch's own index lookup, with the query's other fields;
SecantusDB then checks every candidate against the whole query as it always does.

**Expired documents.** Every 60 s SecantusDB's TTL sweep decoded every document of every
collection with a TTL index (processed event ids, the outboxes, idempotency keys: hundreds of
thousands after an hour) under the storage's lock, which every operation takes: the soak saw
every operation stall for 1-2 s once a minute, longer as the data grew. Here the sweep deletes
by the TTL index's own range (`{field: {$lt: cutoff}}`), SecantusDB's ordinary `deleteMany`:
only the expired documents are read.

**The profiling level.** Every command reads its database's profiling level from a table,
under the storage lock: a tenth of the store's threads' time waited for that lock there under
load. Here it is kept once read and forgotten when `profile` sets it.

**Stopping.** SecantusDB's stop closes its listening socket and waits up to 2 s for the
thread blocked in `accept()` on it, but on Linux a close does not wake that call: every stop
took 2 s (every test stack's teardown, every bench's and test's store). Here the socket is
shut down first, which does wake it: a stop takes milliseconds.

    python -m deploy.embedded_store --storage-path DIR --host H --port P  (secantusd-py's flags)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import sys
from collections.abc import Mapping
from typing import Any

from secantus import cli
from secantus.server import SecantusDBServer
from secantus.storage import Storage
from secantus.transactions import TransactionRegistry, TxnState

REAP_EVERY_SECONDS = 1.0
SECANTUS_PRUNE_TTL = Storage.prune_ttl  # its own sweep, kept for the comparison in tests
SECANTUS_INDEX_ID_KEYS = Storage._try_index_id_keys  # its planner, without `$or`
SECANTUS_GET_PROFILE = Storage.get_profile  # read from its table, under the storage lock
SECANTUS_SET_PROFILE = Storage.set_profile
SECANTUS_STOP = SecantusDBServer.stop


def reap_idle_transactions(registry: Any) -> int:
    """`TransactionRegistry._prune_locked` (called with the registry's lock held) without
    waiting on a transaction that is running a statement."""
    now = registry._time()
    if now < getattr(registry, "_next_reap", 0.0):
        return 0
    registry._next_reap = now + REAP_EVERY_SECONDS
    cutoff = now - registry._lifetime
    reaped = 0
    for txn in list(registry._txns.values()):
        if not txn.mutex.acquire(blocking=False):
            continue  # a statement of it runs now
        try:
            if txn.state is TxnState.IN_PROGRESS and txn.last_use < cutoff:
                registry._rollback_quietly(txn)
                txn.state = TxnState.ABORTED
                reaped += 1
        finally:
            txn.mutex.release()
    return reaped


def ttl_filters(storage: Any, db: str, coll: str, now: dt.datetime) -> list[dict[str, Any]]:
    """What each TTL index of the collection expires, as SecantusDB's own sweep decides it
    (a single-field index on a field other than `_id`, its partial filter kept)."""
    filters: list[dict[str, Any]] = []
    for _name, key_spec, options in storage._iter_indexes(db, coll):
        ttl = options.get("expireAfterSeconds")
        if isinstance(ttl, bool) or not isinstance(ttl, int | float) or ttl != ttl or ttl < 0:
            continue
        if len(key_spec) != 1:
            continue
        field, direction = next(iter(key_spec.items()))
        if not isinstance(field, str) or field == "_id":
            continue
        if isinstance(direction, bool) or not isinstance(direction, int | float):
            continue
        try:
            cutoff = now - dt.timedelta(seconds=float(ttl))
        except OverflowError:
            continue
        expired: dict[str, Any] = {field: {"$lt": cutoff}}
        partial = options.get("partialFilterExpression")
        if isinstance(partial, Mapping) and partial:
            expired = {"$and": [expired, dict(partial)]}
        filters.append(expired)
    return filters


def prune_expired(storage: Any, db: str, coll: str, *, now: dt.datetime | None = None) -> int:
    """`Storage.prune_ttl` by the TTL index's range instead of a walk of the collection."""
    when = now or dt.datetime.now(dt.UTC)
    when = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    return sum(
        int(storage.delete_matching(db, coll, expired))
        for expired in ttl_filters(storage, db, coll, when)
    )


def index_id_keys(
    storage: Any, db: str, coll: str, query: dict[str, Any], *, collation: Any = None
) -> list[Any] | None:
    """`Storage._try_index_id_keys` (the candidates an index gives, or None for a scan),
    which also answers a top-level `$or` whose branches each have an index: the union of
    the branches' candidates, each branch with the query's other fields."""
    found = SECANTUS_INDEX_ID_KEYS(storage, db, coll, query, collation=collation)
    branches = query.get("$or")
    if found is not None or not isinstance(branches, list) or not branches:
        return found
    rest = {key: value for key, value in query.items() if key != "$or"}
    if any(key.startswith("$") for key in rest):
        return None
    union: dict[Any, None] = {}
    for branch in branches:
        if not isinstance(branch, dict) or not branch or set(branch) & set(rest):
            return None
        keys = SECANTUS_INDEX_ID_KEYS(storage, db, coll, {**rest, **branch}, collation=collation)
        if keys is None:
            return None
        union.update(dict.fromkeys(keys))
    return list(union)


def profile_of(storage: Any, db: str) -> dict[str, Any]:
    """`Storage.get_profile`, kept per database once read. Every command reads its database's
    profiling level, under the storage lock every write holds: 10 % of the store's threads'
    samples waited there under a 16-client load (BENCHMARKS.md, round six). Only `set_profile`
    changes it; a miss reads and keeps it under that lock, so a change cannot be overtaken."""
    kept: dict[str, dict[str, Any]] = storage.__dict__.setdefault("_kept_profiles", {})
    found = kept.get(db)
    if found is None:
        with storage._lock:
            found = kept[db] = SECANTUS_GET_PROFILE(storage, db)
    return dict(found)


def set_profile(storage: Any, db: str, **settings: Any) -> None:
    with storage._lock:  # re-entrant: SecantusDB's own takes it too
        SECANTUS_SET_PROFILE(storage, db, **settings)
        storage.__dict__.setdefault("_kept_profiles", {}).pop(db, None)


def stop(server: SecantusDBServer) -> None:
    """`SecantusDBServer.stop`, its accept thread woken at once instead of waited for."""
    listening = server._socket
    if listening is not None:
        with contextlib.suppress(OSError):
            listening.shutdown(socket.SHUT_RDWR)
    SECANTUS_STOP(server)


def install() -> None:
    TransactionRegistry._prune_locked = reap_idle_transactions
    Storage.prune_ttl = prune_expired
    Storage._try_index_id_keys = index_id_keys
    Storage.get_profile = profile_of
    Storage.set_profile = set_profile
    SecantusDBServer.stop = stop


def main() -> int:
    install()
    return int(cli.main())


if __name__ == "__main__":
    sys.exit(main())
