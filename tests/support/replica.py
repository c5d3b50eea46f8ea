"""A stand-in replica for the transaction tests: a separate process that writes through the
services' own transaction code (`Outbox.transaction` under `retry_transient`).

    python -m tests.support.replica MONGO_URL DATABASE increment N   # N increments, 4 at once
    python -m tests.support.replica MONGO_URL DATABASE hold          # dies holding a write
"""

from __future__ import annotations

import asyncio
import sys

from pymongo import AsyncMongoClient

from shared.contracts import Payload
from shared.mongo import EVENT_RETRY_SECONDS, retry_transient, transaction
from shared.outbox import Outbox

COUNTER = {"_id": "counter"}


class Incremented(Payload):
    pass


async def increment(outbox: Outbox) -> None:
    async with transaction(outbox.client) as session:
        counters = outbox.database["counters"]
        await counters.update_one(COUNTER, {"$inc": {"n": 1}}, upsert=True, session=session)
        await outbox.add(session, "test.incremented", "counter", Incremented())


async def main(url: str, database: str, mode: str, count: int) -> None:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(url)
    outbox = Outbox(client, client[database], source="test/replica")
    if mode == "hold":
        async with transaction(outbox.client) as session:
            await outbox.database["counters"].update_one(
                COUNTER, {"$inc": {"n": 1}}, upsert=True, session=session
            )
            print("holding", flush=True)
            await asyncio.sleep(3600)  # killed here, inside the transaction
    lanes = 4

    async def lane(share: int) -> None:
        for _ in range(share):
            await retry_transient(lambda: increment(outbox), EVENT_RETRY_SECONDS)

    await asyncio.gather(*(lane(count // lanes) for _ in range(lanes)))
    print("done", flush=True)


if __name__ == "__main__":
    url, database, mode, *rest = sys.argv[1:]
    asyncio.run(main(url, database, mode, int(rest[0]) if rest else 0))
