"""What a write outside a transaction costs on the embedded store as writes accumulate, with
PyMongo's retryable writes on (its default) against off (what the runner sets: deploy/stack.py).

SecantusDB keeps a record of each retryable write for 30 minutes, up to 10,000, and on every
new one scans them all (and sorts them once the cap is reached) under the lock its
transactions take. The bench writes `--writes` upserts in blocks of 1,000 with each setting,
each on a store of its own, and prints the milliseconds per write of each block and the ratio.

    python -m bench.retryable_writes [--writes 14000]"""

from __future__ import annotations

import argparse
import time

from pymongo import MongoClient

from tests.support.documents import document_store

BLOCK = 1_000


def per_write_ms(url: str, writes: int, retry_writes: bool) -> list[float]:
    """Milliseconds per write of each block of BLOCK upserts."""
    blocks = []
    with MongoClient[dict[str, object]](url, retryWrites=retry_writes) as client:
        collection = client["bench"]["retryable"]
        for start in range(0, writes, BLOCK):
            began = time.perf_counter()
            for i in range(start, min(writes, start + BLOCK)):
                collection.replace_one({"_id": i % 50}, {"n": i}, upsert=True)
            blocks.append((time.perf_counter() - began) * 1000 / BLOCK)
    return blocks


def arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--writes", type=int, default=14_000)
    return parser


def run(options: argparse.Namespace) -> None:
    results = {}
    for retry_writes in (True, False):
        with document_store() as url:  # in memory: no fsync in the figures
            results[retry_writes] = per_write_ms(url, options.writes, retry_writes)
    print(f"{'writes before':>14} {'retryable (ms)':>15} {'not retryable (ms)':>19} {'ratio':>6}")
    for block, (on, off) in enumerate(zip(results[True], results[False], strict=True)):
        print(f"{block * BLOCK:>14,} {on:>15.3f} {off:>19.3f} {on / off:>5.1f}x")
    print(
        f"last block: a retryable write costs {results[True][-1] / results[False][-1]:.1f}x "
        "one that is not"
    )


def main() -> None:
    run(arguments().parse_args())


if __name__ == "__main__":
    main()
