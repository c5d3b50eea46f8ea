"""Serialized transactions for the embedded document store: one lock file per server and
database, and two outboxes (two replicas) on the same lock never overlap."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pymongo import AsyncMongoClient

from shared.mongo import transaction_lock_file
from shared.outbox import Outbox
from shared.settings import Settings


def test_one_lock_file_per_server_and_database_and_none_for_mongodb() -> None:
    embedded = Settings(mongo_url="mongodb://127.0.0.1:27017", mongo_serialize_transactions=True)
    same = transaction_lock_file(embedded, "commitments")
    assert same is not None and same == transaction_lock_file(embedded, "commitments")
    assert transaction_lock_file(embedded, "intake") != same
    other_server = embedded.model_copy(update={"mongo_url": "mongodb://127.0.0.1:27018"})
    assert transaction_lock_file(other_server, "commitments") != same
    assert transaction_lock_file(Settings(), "commitments") is None


async def test_two_replicas_on_one_lock_take_turns(tmp_path: Path) -> None:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        "mongodb://127.0.0.1:9", connect=False
    )
    lock = tmp_path / "tx.lock"
    replicas = [Outbox(client, client["db"], "test", serialize_with=lock) for _ in range(2)]
    inside: list[int] = []
    overlaps: list[int] = []

    async def work(outbox: Outbox) -> None:
        for _ in range(5):
            async with outbox._one_at_a_time():
                inside.append(1)
                overlaps.append(len(inside))
                await asyncio.sleep(0.01)
                inside.pop()

    await asyncio.gather(*(work(outbox) for outbox in replicas for _ in range(2)))
    assert len(overlaps) == 20 and max(overlaps) == 1
    await client.close()
