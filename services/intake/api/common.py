"""What the route modules share: the service and store dependencies, page answers, the body
of a file imported into a network, and running a write again when it lost a race."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import Depends
from pydantic import Field

from services.intake.service import IntakeService
from services.intake.store import IntakeStore, StaleWrite
from shared.contracts.page import Edge, EdgePage
from shared.contracts.text import TextInput
from shared.idempotency import ConcurrentWrite
from shared.mongo import Document
from shared.service import Runtime, get_runtime

T = TypeVar("T")
ATTEMPTS = 3
RACES: tuple[type[Exception], ...] = (StaleWrite, ConcurrentWrite)


def get_store(runtime: Runtime = Depends(get_runtime)) -> IntakeStore:
    return IntakeStore(runtime.db)


def get_service(
    runtime: Runtime = Depends(get_runtime), store: IntakeStore = Depends(get_store)
) -> IntakeService:
    return IntakeService(store, runtime.outbox, runtime.clock)


def public(doc: Document, *private: str) -> Document:
    """A stored document without `_id` and the named storage-only keys."""
    return {k: v for k, v in doc.items() if k != "_id" and k not in private}


def page(docs: list[Document], first: int, render: Callable[[Document], Any]) -> EdgePage:
    """A page of `{"cursor", "node"}` items from `first` + 1 fetched documents; the cursor
    is the `_id` (pages are in `_id` order)."""
    return EdgePage.of([Edge(cursor=d["_id"], node=render(d)) for d in docs], first)


class ImportBody(TextInput):
    """A file imported into a network (a survey, a directory)."""

    network_id: str = Field(min_length=1, max_length=200)


async def again_if_raced(
    write: Callable[[], Awaitable[T]], races: tuple[type[Exception], ...] = RACES
) -> T:
    """`write`, run again (`ATTEMPTS` runs in all) while it loses a race: a document changed
    since it was read (StaleWrite) or a concurrent twin committed first (ConcurrentWrite).
    Each run reads anew, so the next one builds on what won."""
    for _ in range(ATTEMPTS - 1):
        try:
            return await write()
        except races:
            continue
    return await write()
