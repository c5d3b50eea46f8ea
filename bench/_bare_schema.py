"""Bare strawberry: what a user would pick instead of the gateway. A minimal schema serving
the same nested query shape as `bench.gateway_load` (caller, network, an organization's
profile, a page of the inbox) from in-memory dicts, mounted the same way (FastAPI and
strawberry's GraphQLRouter, served by uvicorn in a process of its own). No auth, no
DataLoaders over internal HTTP, no tracing, no admission: the gap to the gateway is theirs.

    COMMONWEAVE_BARE_DATA=data.json python -m uvicorn --factory bench._bare_schema:app_from_env

The data file holds the gateway's own answer to the query (`data`), so both serve the same
values."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

import httpx
import strawberry
from fastapi import FastAPI
from strawberry.fastapi import BaseContext, GraphQLRouter
from strawberry.types import Info

from tests.support.stack import free_port

DATA_ENV = "COMMONWEAVE_BARE_DATA"


@strawberry.enum
class Role(Enum):
    OPERATOR = "OPERATOR"
    ORG_ADMIN = "ORG_ADMIN"
    MEMBER = "MEMBER"


@strawberry.enum
class ResourceKind(Enum):
    FUNDING = "FUNDING"
    VOLUNTEERS = "VOLUNTEERS"
    OUTREACH = "OUTREACH"
    VENUE = "VENUE"
    EXPERTISE = "EXPERTISE"
    MATERIALS = "MATERIALS"
    TRANSPORT = "TRANSPORT"
    COUNSELING = "COUNSELING"
    MENTORING = "MENTORING"
    OTHER = "OTHER"


@strawberry.type
class Me:
    member_id: strawberry.ID
    role: Role


@strawberry.type
class Network:
    name: str
    region: str
    time_zone: str


@strawberry.type
class Resource:
    kind: ResourceKind
    description: str
    quantity: float | None = None
    unit: str | None = None


@strawberry.type
class AvailabilityWindow:
    day: str
    start: str
    end: str


@strawberry.type
class Organization:
    id: strawberry.ID
    name: str
    mission: str
    focus_areas: list[str]
    offers: list[Resource]
    needs: list[Resource]
    availability: list[AvailabilityWindow]


@strawberry.type
class Notification:
    id: strawberry.ID
    title: str
    read: bool
    created_at: datetime


@strawberry.type
class NotificationEdge:
    node: Notification


@strawberry.type
class PageInfo:
    has_next_page: bool


@strawberry.type
class NotificationConnection:
    edges: list[NotificationEdge]
    page_info: PageInfo


@dataclass(frozen=True)
class Store:
    """The in-memory data: the caller, networks and organizations by id, the inbox."""

    caller: dict[str, Any]
    networks: dict[str, dict[str, Any]]
    organizations: dict[str, dict[str, Any]]
    inbox: list[dict[str, Any]]

    @classmethod
    def from_answer(cls, data: dict[str, Any], network_id: str) -> Store:
        """The gateway's `data` for the query, keyed the way a service would hold it."""
        organization = data["organization"]
        return cls(
            caller=data["me"],
            networks={network_id: data["network"]},
            organizations={organization["id"]: organization},
            inbox=[edge["node"] for edge in data["notifications"]["edges"]],
        )


class BareContext(BaseContext):
    """Per request, as the gateway's context: here only the store."""

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store


def resources(rows: list[dict[str, Any]]) -> list[Resource]:
    return [
        Resource(
            kind=ResourceKind(row["kind"]),
            description=row["description"],
            quantity=row.get("quantity"),
            unit=row.get("unit"),
        )
        for row in rows
    ]


@strawberry.type
class Query:
    @strawberry.field
    async def me(self, info: Info[BareContext, None]) -> Me:
        caller = info.context.store.caller
        return Me(member_id=strawberry.ID(caller["memberId"]), role=Role(caller["role"]))

    @strawberry.field
    async def network(self, info: Info[BareContext, None], id: strawberry.ID) -> Network | None:
        row = info.context.store.networks.get(id)
        if row is None:
            return None
        return Network(name=row["name"], region=row["region"], time_zone=row["timeZone"])

    @strawberry.field
    async def organization(
        self, info: Info[BareContext, None], id: strawberry.ID
    ) -> Organization | None:
        row = info.context.store.organizations.get(id)
        if row is None:
            return None
        return Organization(
            id=strawberry.ID(row["id"]),
            name=row["name"],
            mission=row["mission"],
            focus_areas=list(row["focusAreas"]),
            offers=resources(row["offers"]),
            needs=resources(row["needs"]),
            availability=[AvailabilityWindow(**window) for window in row["availability"]],
        )

    @strawberry.field
    async def notifications(
        self, info: Info[BareContext, None], first: int = 20
    ) -> NotificationConnection:
        rows = info.context.store.inbox
        page = [
            NotificationEdge(
                node=Notification(
                    id=strawberry.ID(row["id"]),
                    title=row["title"],
                    read=row["read"],
                    created_at=datetime.fromisoformat(row["createdAt"]),
                )
            )
            for row in rows[:first]
        ]
        return NotificationConnection(
            edges=page, page_info=PageInfo(has_next_page=len(rows) > first)
        )


def create_app(store: Store) -> FastAPI:
    async def get_context() -> BareContext:
        return BareContext(store)

    app = FastAPI(title="bare-strawberry")
    app.include_router(
        GraphQLRouter(strawberry.Schema(query=Query), context_getter=get_context),
        prefix="/graphql",
    )
    return app


def app_from_env() -> FastAPI:
    """uvicorn's factory: the store from the JSON file `COMMONWEAVE_BARE_DATA` names."""
    saved = json.loads(Path(os.environ[DATA_ENV]).read_text())
    return create_app(Store.from_answer(saved["data"], saved["networkId"]))


@contextmanager
def serving(data: dict[str, Any], network_id: str, start_timeout: float = 60.0) -> Iterator[str]:
    """Bare strawberry over `data` in a uvicorn process of its own, as the stack serves the
    gateway (`shared.service.serve`: uvicorn, no access log); yields its GraphQL URL."""
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        saved = Path(folder) / "data.json"
        saved.write_text(json.dumps({"data": data, "networkId": network_id}))
        command = [sys.executable, "-m", "uvicorn", "--factory", f"{__name__}:app_from_env",
                   "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
                   "--no-access-log"]  # fmt: skip
        process = subprocess.Popen(command, env={**os.environ, DATA_ENV: str(saved)})
        url = f"http://127.0.0.1:{port}/graphql"
        try:
            deadline = time.monotonic() + start_timeout
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"bare strawberry exited with {process.returncode}")
                try:
                    httpx.post(url, json={"query": "{ __typename }"}, timeout=2.0)
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            yield url
        finally:
            process.terminate()
            process.wait(10)
