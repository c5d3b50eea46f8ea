"""Fixtures for fast tests of the use cases: a real document store in memory (started once,
only when a test asks for it), a fresh database per test, no broker (the outbox is only
written to MongoDB; tests read the events it holds)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from pymongo import AsyncMongoClient

from shared.mongo import Database, Document
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
