"""DataLoaders, created per request (`info.context.loaders`), so nested fields batch their
service reads instead of calling once per parent (no N+1).

Each loader wraps one method of a typed client (`shared.clients`), and loads what it answers:
- `loaders.batch(fetch, default)`: keys collected in one tick become one call `fetch(keys)` to
  a *batch route* (`GET ...?ids=a,b,c`), which answers each key found with its value; a key
  it does not answer loads as `default`. One-to-many reads use the same shape (the matches of
  each organization: `{org_1: [...], ...}`, default `[]`).
- `loaders.each(fetch)`: for routes without a batch form, `fetch(key)` once per distinct key
  per request (deduplicated and cached).

Usage in a resolver:
    clients = info.context.clients
    org = await info.context.loaders.batch(clients.intake.organizations_by_ids, None).load(id)
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from shared.errors import AppError

MAX_BATCH = 100  # ids per call; keeps URLs short
V = TypeVar("V")
D = TypeVar("D")


class Loaders:
    def __init__(self) -> None:
        self._loaders: dict[tuple[str, str], DataLoader[str, Any]] = {}

    def batch(
        self, fetch: Callable[[list[str]], Awaitable[Mapping[str, V]]], default: D
    ) -> DataLoader[str, V | D]:
        key = ("batch", fetch.__qualname__)
        if key not in self._loaders:

            async def load(keys: Sequence[str]) -> list[V | D]:
                found = await fetch(list(keys))
                return [found.get(k, default) for k in keys]

            self._loaders[key] = DataLoader(load_fn=load, max_batch_size=MAX_BATCH)
        loader: DataLoader[str, V | D] = self._loaders[key]
        return loader

    def each(self, fetch: Callable[[str], Awaitable[V]]) -> DataLoader[str, V]:
        """A failing key (NOT_FOUND, UNAVAILABLE) raises its `AppError` on its own `load`."""
        key = ("each", fetch.__qualname__)
        if key not in self._loaders:

            async def one(k: str) -> V | AppError:
                try:
                    return await fetch(k)
                except AppError as exc:
                    return exc

            async def load(keys: Sequence[str]) -> list[V | AppError]:
                return list(await asyncio.gather(*(one(k) for k in keys)))

            self._loaders[key] = DataLoader(load_fn=load, max_batch_size=MAX_BATCH)
        loader: DataLoader[str, V] = self._loaders[key]
        return loader
