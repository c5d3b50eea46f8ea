"""PyMongo's async client (the successor of Motor), transactions under MongoDB's retry
contract, index creation at start-up, and the versioned write of a read model."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from pymongo import AsyncMongoClient, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import (
    AutoReconnect,
    BulkWriteError,
    OperationFailure,
    PyMongoError,
    ServerSelectionTimeoutError,
)
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)

from shared import deadline
from shared.errors import AppError, ErrorCode
from shared.settings import Settings

Document = dict[str, Any]
Database = AsyncDatabase[Document]
Collection = AsyncCollection[Document]
Session = AsyncClientSession
IndexSpec = Mapping[str, Sequence[IndexModel]]
T = TypeVar("T")
log = logging.getLogger(__name__)

# How long a unit of work is run again while it collides: a request's caller waits briefly;
# an event can wait as long as PyMongo's `with_transaction` does (120 s), which outlasts the
# 60 s after which the server aborts a transaction whose client died holding its locks.
REQUEST_RETRY_SECONDS = 10.0
EVENT_RETRY_SECONDS = 120.0


def mongo_client(settings: Settings) -> AsyncMongoClient[Document]:
    # tz_aware so datetimes read back carry UTC, matching what the services write.
    return AsyncMongoClient(
        settings.mongo_url,
        tz_aware=True,
        serverSelectionTimeoutMS=5000,
        retryWrites=settings.mongo_retry_writes,
        **mongo_security(settings),
    )


def mongo_security(settings: Settings) -> dict[str, Any]:
    """TLS (verified against the CA file, or the system's CAs) and credentials from the
    settings; what is not set here is left to `mongo_url` (`tls=true`, user:password@)."""
    options: dict[str, Any] = {}
    if settings.mongo_tls:
        options["tls"] = True
        if settings.mongo_ca_file:
            options["tlsCAFile"] = settings.mongo_ca_file
    if settings.mongo_username:
        options["username"] = settings.mongo_username
        options["password"] = settings.mongo_password.get_secret_value()
    return options


async def ensure_indexes(db: Database, indexes: IndexSpec) -> None:
    """Creates the indexes (at start-up). Creating one that exists does nothing, so a
    connection lost or cancelled on the way (a store restarting, a handshake cut short under
    load) is simply tried again, a few times, before the error is let through."""
    async for attempt in AsyncRetrying(
        retry=retry_if_exception_type(AutoReconnect),
        stop=stop_after_attempt(5),
        wait=wait_random_exponential(multiplier=0.1, max=2.0),
        reraise=True,
    ):
        with attempt:
            for collection, models in indexes.items():
                if models:
                    await db[collection].create_indexes(list(models))


async def save_newest(collection: Collection, key: str, body: Document, session: Session) -> bool:
    """Keeps the newest version of a document another service owns (a read model fed by its
    events): `body`, with its `version`, replaces an older one or is inserted; an older event
    arriving late changes nothing; fields the read model added itself stay. Answers whether it
    was written. One upsert whatever the case (an update pipeline decides by the stored
    version): a filter on the version would need a second look and a third write to tell an
    unknown document from a newer one, and a failed insert would abort the transaction."""
    newer = {"$lt": [{"$ifNull": ["$version", -1]}, body["version"]]}
    merged = {"$mergeObjects": ["$$ROOT", {"$literal": body}]}
    result = await collection.update_one(
        {"_id": key},
        [{"$replaceWith": {"$cond": [newer, merged, "$$ROOT"]}}],
        upsert=True,
        session=session,
    )
    return result.upserted_id is not None or result.modified_count > 0


def has_label(exc: BaseException, label: str) -> bool:
    return isinstance(exc, PyMongoError) and exc.has_error_label(label)


def write_not_applied(exc: PyMongoError) -> bool:
    """Whether a failed call is known to have written nothing, so answering it UNAVAILABLE and
    retryable is honest: no server was reached, the server aborted the transaction, or the
    server answered with an error (it refused the operation: a full disk, a panicked engine,
    a timeout). A connection lost after the request went out, or a commit whose outcome is
    unknown, may have written: those stay INTERNAL."""
    if exc.has_error_label("UnknownTransactionCommitResult"):
        return False
    if isinstance(exc, ServerSelectionTimeoutError):
        return True
    if exc.has_error_label("TransientTransactionError"):
        return True
    if isinstance(exc, BulkWriteError):  # some of an unordered batch may have gone in
        return not (exc.details or {}).get("nInserted") and not (exc.details or {}).get("nModified")
    return isinstance(exc, OperationFailure)


def is_transient(exc: BaseException) -> bool:
    """A write conflict with a concurrent transaction, a failover, a dropped connection: the
    server aborted the transaction, and running the whole unit of work again is safe."""
    return has_label(exc, "TransientTransactionError")


@asynccontextmanager
async def transaction(client: AsyncMongoClient[Document]) -> AsyncIterator[Session]:
    """All writes made with the yielded session commit together or not at all. A commit whose
    outcome is unknown is retried (commits are idempotent), as PyMongo's `with_transaction`
    does; a transient failure of the body propagates to `retry_transient`, which runs the whole
    unit of work again, reads included."""
    async with client.start_session() as session:
        await session.start_transaction()
        try:
            yield session
        except BaseException:
            if session.in_transaction:
                await session.abort_transaction()
            raise
        try:
            deadline.check()  # the caller gave up: abort rather than commit unseen work
        except AppError:
            await session.abort_transaction()
            raise
        async for attempt in AsyncRetrying(
            retry=retry_if_exception(lambda e: has_label(e, "UnknownTransactionCommitResult")),
            stop=stop_after_delay(REQUEST_RETRY_SECONDS),
            wait=wait_random_exponential(multiplier=0.01, max=0.5),
            reraise=True,
        ):
            with attempt:
                await session.commit_transaction()


async def retry_transient(
    work: Callable[[], Awaitable[T]], within: float = REQUEST_RETRY_SECONDS
) -> T:
    """Runs a unit of work (reads, then a transaction) again while its transaction fails with
    `TransientTransactionError`, for up to `within` seconds, with jittered backoff so
    that colliding writers spread out. Every use case that writes runs under it: through
    `Idempotency.once` (HTTP) and `EventConsumer.process` (events). Still colliding after
    that (documents held by a transaction whose client died, until the server aborts it):
    UNAVAILABLE and retryable, since nothing was written."""
    try:
        async for attempt in AsyncRetrying(
            retry=retry_if_exception(is_transient),
            stop=stop_after_delay(within),
            wait=wait_random_exponential(multiplier=0.005, max=0.25),
            reraise=True,
            before_sleep=lambda state: log.debug("transaction retried: %s", state.outcome),
        ):
            with attempt:
                return await work()
    except PyMongoError as exc:
        if not is_transient(exc):
            raise
        raise AppError(
            ErrorCode.UNAVAILABLE,
            f"the documents this write needs stayed busy for {within:.0f} s (another "
            "transaction holds them); nothing was written: retry with the same Idempotency-Key",
            details={"retryable": True},
        ) from exc
    raise AssertionError("unreachable: tenacity returns or raises")
