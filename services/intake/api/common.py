"""What the route modules share: the service and store dependencies and page answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Depends

from services.intake.service import IntakeService
from services.intake.store import IntakeStore
from shared.contracts.page import Edge, EdgePage
from shared.mongo import Document
from shared.service import Runtime, get_runtime


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
