"""The embedded stack's document store: SecantusDB's own server (`secantusd-py`), started with
one correction to how it reaps idle transactions.

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

    python -m deploy.embedded_store --storage-path DIR --host H --port P  (secantusd-py's flags)
"""

from __future__ import annotations

import sys
from typing import Any

from secantus import cli
from secantus.transactions import TransactionRegistry, TxnState

REAP_EVERY_SECONDS = 1.0


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


def install() -> None:
    TransactionRegistry._prune_locked = reap_idle_transactions


def main() -> int:
    install()
    return int(cli.main())


if __name__ == "__main__":
    sys.exit(main())
