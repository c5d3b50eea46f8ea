"""Idempotent writes: a write route called again with the same `Idempotency-Key` header
answers its first answer and writes nothing new. Every service's write routes use this.

The gateway sends, as the header, a digest of the caller's credential and the client's key,
so keys are per caller. The service stores the first answer in its `idempotency` collection
inside the same transaction as the write (so either both exist or neither), under a digest of
the header and the route. Answers can hold a secret shown once (a member token, a webhook
secret): they are stored encrypted with a key derived from the header, which the service never
stores, so the database alone cannot reveal them. The same key with a different request is a
CONFLICT."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from cryptography.fernet import Fernet
from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel
from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from shared.errors import AppError, ErrorCode
from shared.events import utcnow
from shared.http import IDEMPOTENCY_HEADER
from shared.mongo import Document, IndexSpec, Session, retry_transient
from shared.service import Runtime, get_runtime
from shared.unit_of_work import MongoUnitOfWork

Answer = dict[str, Any]
IDEMPOTENCY = "idempotency"
# first answers are kept a week: keys are for retries, not forever
IDEMPOTENCY_INDEXES: IndexSpec = {
    IDEMPOTENCY: [IndexModel([("created_at", ASCENDING)], expireAfterSeconds=7 * 24 * 3600)]
}


def fingerprint(request: Any) -> str:
    data = request.model_dump(mode="json") if isinstance(request, BaseModel) else request
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def answer_id(route: str, key: str | None) -> str:
    return hashlib.sha256(f"{route}\n{key}".encode()).hexdigest()


class Idempotency:
    def __init__(self, collection: AsyncCollection[Document], key: str | None, route: str) -> None:
        self._collection = collection
        self.key = key or None
        self._id = answer_id(route, key)
        secret = hashlib.sha256(f"answer\n{route}\n{key}".encode()).digest()
        self._cipher = Fernet(base64.urlsafe_b64encode(secret))

    async def replay(self, request: Any) -> Answer | None:
        """The first answer to this key, or None when the key is new (or absent)."""
        if self.key is None:
            return None
        found = await self._collection.find_one({"_id": self._id})
        if found is None:
            return None
        if found["fingerprint"] != fingerprint(request):
            raise AppError(
                ErrorCode.CONFLICT, "this Idempotency-Key was already used for another request"
            )
        answer: Answer = json.loads(self._cipher.decrypt(found["answer"].encode()))
        return answer

    async def remember(self, session: Session, request: Any, answer: Answer) -> None:
        """Call inside the write's transaction, with the answer about to be returned."""
        if self.key is None:
            return
        await self._collection.insert_one(
            {
                "_id": self._id,
                "fingerprint": fingerprint(request),
                "answer": self._cipher.encrypt(json.dumps(answer).encode()).decode(),
                "created_at": utcnow(),
            },
            session=session,
        )

    async def once(self, request: Any, work: Callable[[], Awaitable[Answer]]) -> Answer:
        """Runs `work` (which calls `remember` in its transaction) unless the key has an
        answer already, again while its transaction collides with a concurrent one. A twin
        with the same key that committed first wins: its answer is returned. A unique-index
        refusal without such a twin is a ConcurrentWrite (CONFLICT)."""
        return await retry_transient(lambda: self._once(request, work))

    async def _once(self, request: Any, work: Callable[[], Awaitable[Answer]]) -> Answer:
        if (prior := await self.replay(request)) is not None:
            return prior
        try:
            return await work()
        except (DuplicateKeyError, AppError) as exc:
            # a twin with the same key committed meanwhile (its write made ours a duplicate,
            # or a check before writing saw it): its answer is the answer.
            if (prior := await self.replay(request)) is not None:
                return prior
            if isinstance(exc, AppError):
                raise
            message = "a concurrent request wrote this first"
            raise ConcurrentWrite(ErrorCode.CONFLICT, message) from exc


class ConcurrentWrite(AppError):
    """A unique index refused the write: a concurrent request wrote the same thing first."""


def answered_before(
    collection: AsyncCollection[Document],
) -> Callable[[Request], Awaitable[bool]]:
    """Whether a write request's Idempotency-Key already has a first answer (a retry of a
    write that happened): the full-disk refusal lets such a retry through to its answer."""

    async def answered(request: Request) -> bool:
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if not key:
            return False
        route = f"{request.method} {request.url.path}"
        return await collection.find_one({"_id": answer_id(route, key)}, {"_id": 1}) is not None

    return answered


def get_idempotency(
    request: Request,
    runtime: Runtime = Depends(get_runtime),
    key: str | None = Header(None, alias=IDEMPOTENCY_HEADER),
) -> Idempotency:
    """The FastAPI dependency: the request's `Idempotency` for its method and path."""
    return Idempotency(runtime.db[IDEMPOTENCY], key, f"{request.method} {request.url.path}")


class WriteOnce:
    """A FastAPI dependency for write routes: runs a use case at most once per
    Idempotency-Key and answers what it wrote, shaped by `shape` and encoded as JSON, which is
    also what a repeat answers. The use case keeps that answer with its write by calling
    `uow.answer(result)` inside its unit of work."""

    def __init__(self, idempotency: Idempotency = Depends(get_idempotency)) -> None:
        self._idempotency = idempotency

    def shape(self, result: Any) -> Any:
        return result

    def _answer_of(self, result: Any) -> Answer:
        answer: Answer = jsonable_encoder(self.shape(result))
        return answer

    async def run(
        self, request: Any, uow: MongoUnitOfWork, write: Callable[[], Awaitable[Any]]
    ) -> Answer:
        """`write()` (a use case over `uow`) once, again while its transaction collides."""

        async def remember(session: Session, result: Any) -> None:
            await self._idempotency.remember(session, request, self._answer_of(result))

        uow.remember = remember

        async def work() -> Answer:
            return self._answer_of(await write())

        return await self._idempotency.once(request, work)
