"""DataLoaders, created per request (`info.context.loaders`), so nested fields batch their
service reads instead of calling once per parent (no N+1).

Two kinds:
- `loaders.batch(service, path)`: keys collected in one tick become one call
  `GET {path}?ids=a,b,c` to a *batch route* which answers `{"items": {key: value}}`; a key
  missing from `items` loads as `default`. One-to-many reads use the same shape (for example
  `GET /matches/by-organization?ids=org_1,org_2` -> `{"items": {"org_1": [...], ...}}`).
- `loaders.each(service, path_template)`: for routes without a batch form, `GET
  path_template.format(key)` once per distinct key per request (deduplicated and cached).

Usage in a resolver:
    org = await info.context.loaders.batch("intake", "/organizations/by-ids").load(org_id)
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from strawberry.dataloader import DataLoader

from services.gateway.clients import ServiceClients
from shared.errors import AppError

MAX_BATCH = 100  # ids per call; keeps URLs short


class Loaders:
    def __init__(self, clients: ServiceClients) -> None:
        self._clients = clients
        self._loaders: dict[tuple[str, str, str], DataLoader[str, Any]] = {}

    def batch(self, service: str, path: str, default: Any = None) -> DataLoader[str, Any]:
        key = ("batch", service, path)
        if key not in self._loaders:
            client = self._clients.by_name(service)

            async def load(keys: Sequence[str]) -> list[Any]:
                found = await client.get(path, {"ids": ",".join(keys)})
                items: dict[str, Any] = found.get("items", {}) if isinstance(found, dict) else {}
                return [items.get(k, default) for k in keys]

            self._loaders[key] = DataLoader(load_fn=load, max_batch_size=MAX_BATCH)
        return self._loaders[key]

    def each(self, service: str, path_template: str) -> DataLoader[str, Any]:
        """A failing key (NOT_FOUND, UNAVAILABLE) raises its `AppError` on its own `load`."""
        key = ("each", service, path_template)
        if key not in self._loaders:
            client = self._clients.by_name(service)

            async def one(k: str) -> Any:
                try:
                    return await client.get(path_template.format(k))
                except AppError as exc:
                    return exc

            async def load(keys: Sequence[str]) -> list[Any]:
                return list(await asyncio.gather(*(one(k) for k in keys)))

            self._loaders[key] = DataLoader(load_fn=load, max_batch_size=MAX_BATCH)
        return self._loaders[key]
