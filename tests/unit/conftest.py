"""Fixtures for fast tests of the use cases: a real document store in memory (started once,
only when a test asks for it), a fresh database per test, no broker (the outbox is only
written to MongoDB; tests read the events it holds)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from pymongo import AsyncMongoClient

from services.matching.service import Matcher
from services.matching.store import INDEXES, MatchingStore
from shared.mongo import Database, Document, ensure_indexes
from shared.outbox import Outbox
from shared.settings import Settings
from tests.support.documents import document_store


@pytest.fixture(scope="session")
def document_store_url() -> Iterator[str]:
    with document_store() as url:
        yield url


@pytest.fixture(scope="session")
async def mongo(document_store_url: str) -> AsyncIterator[AsyncMongoClient[Document]]:
    client: AsyncMongoClient[Document] = AsyncMongoClient(document_store_url, tz_aware=True)
    yield client
    await client.close()


@pytest.fixture
async def database(mongo: AsyncMongoClient[Document]) -> AsyncIterator[Database]:
    db = mongo[f"test_{uuid.uuid4().hex[:12]}"]
    yield db
    await mongo.drop_database(db.name)


@pytest.fixture
async def matcher(mongo: AsyncMongoClient[Document], database: Database) -> Matcher:
    """Matching's use cases over the test's database (used by its use-case and link tests)."""
    await ensure_indexes(database, INDEXES)
    outbox = Outbox(mongo, database, source="commonweave/matching")
    found = Matcher(MatchingStore(database), outbox, Settings(_env_file=None))  # type: ignore[call-arg]
    await found.load()
    return found
