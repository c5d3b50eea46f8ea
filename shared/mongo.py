"""PyMongo's async client (the successor of Motor), transactions, and index creation at start-up."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
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
