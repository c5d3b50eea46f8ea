"""Fixtures for the unit tests: a real document store in memory (started once, only when a
test asks for it: the store and transaction tests), a fresh database per test, the embedded
broker on a free port for the tests that pause it; and matching's use cases over its fake
unit of work."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from pymongo import AsyncMongoClient

from deploy.stack import find_broker_binary, port_is_open
from services.matching.service import Matcher
from shared.clock import Clock
from shared.mongo import Database, Document
from shared.settings import Settings
from tests.support.documents import document_store
from tests.support.fake_matching import FakeMatchingUnitOfWork
from tests.support.stack import free_port
from tests.support.wait import eventually


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
def matching_uow() -> FakeMatchingUnitOfWork:
    return FakeMatchingUnitOfWork()


@pytest.fixture
async def matcher(matching_uow: FakeMatchingUnitOfWork) -> Matcher:
    """Matching's use cases over the fake unit of work (its use-case and link tests)."""
    found = Matcher(Settings(_env_file=None), Clock())
    await found.load(matching_uow)
    return found


@pytest.fixture
def broker() -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """The embedded broker (Tansu) on a free port."""
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    process = subprocess.Popen(
        [find_broker_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        eventually(lambda: port_is_open("127.0.0.1", port), timeout=30)
        yield process, port
    finally:
        process.kill()
        process.wait()
