"""A query with a top-level `$or` on SecantusDB's own server against the stack's
(deploy/embedded_store.py), as the collection grows.

SecantusDB scans every document for a query with a top-level `$or`, even when every branch has
an index; MongoDB runs each branch on its index, and so does the stack's store. The bench
fills a collection shaped like notifications' recipients (an index on `organization_id`) in
steps and times notifications' audience lookup on each server at each size: milliseconds per
query and the ratio.

    python -m bench.or_queries [--documents 20000] [--steps 4] [--queries 20]"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from pymongo import ASCENDING, AsyncMongoClient

from bench.store_transactions import OWN_SERVER
from shared.mongo import Collection, Document
from tests.support.documents import document_store

NETWORK = 120  # recipients per network
BRANCHES: list[Document] = [
    {"organization_id": {"$in": ["org_300", "org_301"]}},
    {"_id": {"$in": ["mem_7"]}},
]
COMMON: Document = {"network_id": {"$in": ["net_5", "net_0"]}}


async def per_query_ms(queries: int, run: Any) -> float:
    began = time.perf_counter()
    for _ in range(queries):
        await run()
    return (time.perf_counter() - began) * 1000 / queries


async def measure(url: str, documents: int, steps: int, queries: int) -> list[tuple[int, float]]:
    """Milliseconds per `$or` query at each size."""
    client: AsyncMongoClient[Document] = AsyncMongoClient(url)
    try:
        recipients: Collection = client["bench"]["recipients"]
        await recipients.create_index([("organization_id", ASCENDING)])
        rows, written = [], 0
        for step in range(1, steps + 1):
            upto = documents * step // steps
            await recipients.insert_many(
                [
                    {
                        "_id": f"mem_{i}",
                        "network_id": f"net_{i // NETWORK}",
                        "organization_id": f"org_{i // 2}",
                    }
                    for i in range(written, upto)
                ]
            )
            written = upto

            async def with_or() -> None:
                await recipients.find({**COMMON, "$or": BRANCHES}).to_list()

            rows.append((upto, await per_query_ms(queries, with_or)))
        return rows
    finally:
        await client.close()


def arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=20_000)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--queries", type=int, default=20)
    return parser


def run(options: argparse.Namespace) -> None:
    timed = {}
    for server, command in (("own", OWN_SERVER), ("stack", None)):
        with document_store(server=command) as url:  # in memory: the scan, not the disk
            timed[server] = asyncio.run(
                measure(url, options.documents, options.steps, options.queries)
            )
    print(f"{'documents':>10} {'SecantusDB (ms)':>16} {'the stack (ms)':>15} {'ratio':>7}")
    for (documents, own), (_, stack) in zip(timed["own"], timed["stack"], strict=True):
        print(f"{documents:>10,} {own:>16.2f} {stack:>15.2f} {own / stack:>6.0f}x")
    documents, own = timed["own"][-1]
    stack = timed["stack"][-1][1]
    ratio = own / stack
    print(f"at {documents:,} documents the stack's store answers in 1/{ratio:.0f} of the time")


def main() -> None:
    run(arguments().parse_args())


if __name__ == "__main__":
    main()
