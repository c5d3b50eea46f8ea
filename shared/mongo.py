"""PyMongo's async client (the successor of Motor), transactions, and index creation at start-up."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from shared.settings import Settings

Document = dict[str, Any]
Database = AsyncDatabase[Document]
Session = AsyncClientSession
IndexSpec = Mapping[str, Sequence[IndexModel]]


def mongo_client(settings: Settings) -> AsyncMongoClient[Document]:
    # tz_aware so datetimes read back carry UTC, matching what the services write.
    return AsyncMongoClient(settings.mongo_url, tz_aware=True, serverSelectionTimeoutMS=5000)


def transaction_lock_file(settings: Settings, db_name: str) -> Path | None:
    """The lock file every replica of a service takes around its transactions when the
    store needs them serialized (the embedded one does), or None. Named after the server
    and the database, so only transactions that could collide wait for each other."""
    if not settings.mongo_serialize_transactions:
        return None
    server = hashlib.sha256(settings.mongo_url.encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"commonweave-tx-{server}-{db_name}.lock"


async def ensure_indexes(db: Database, indexes: IndexSpec) -> None:
    for collection, models in indexes.items():
        if models:
            await db[collection].create_indexes(list(models))


@asynccontextmanager
async def transaction(client: AsyncMongoClient[Document]) -> AsyncIterator[Session]:
    """All writes made with the yielded session commit together or not at all."""
    async with client.start_session() as session, await session.start_transaction():
        yield session


async def save(collection: Any, doc: Document, session: Session | None = None) -> None:
    """Writes a whole document back by `_id`. Used for documents holding datetimes: the embedded
    document store turns a datetime given to `$set` at the top level into a string, which then
    no longer compares as a date; a whole-document write keeps the type (on MongoDB too)."""
    await collection.replace_one({"_id": doc["_id"]}, doc, session=session)
