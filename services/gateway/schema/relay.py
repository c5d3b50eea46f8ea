"""Relay connections: `first`, `after`, `edges { node cursor }`, `pageInfo`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

import strawberry

from shared.contracts.page import Edge as PageEdge
from shared.contracts.page import Page
from shared.errors import AppError, ErrorCode

T = TypeVar("T")
MAX_PAGE_SIZE = 100


@strawberry.type(description="Relay's page info. Pages go forward only (`first`, `after`).")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool = strawberry.field(
        description="Whether items come before this page: true when it starts after a cursor."
    )
    start_cursor: str | None = strawberry.field(description="The first edge's cursor.")
    end_cursor: str | None = strawberry.field(description="The last edge's cursor.")


@strawberry.type
class Edge(Generic[T]):
    node: T
    cursor: str


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo


def check_page_size(first: int) -> int:
    if first < 1 or first > MAX_PAGE_SIZE:
        raise AppError(
            ErrorCode.LIMIT_EXCEEDED,
            f"first must be between 1 and {MAX_PAGE_SIZE}",
            field="first",
        )
    return first


def connection(
    nodes: list[T], cursors: list[str], has_next_page: bool, after: str | None = None
) -> Connection[T]:
    """A page that starts after the cursor `after` (None: the first page)."""
    edges = [Edge(node=node, cursor=cursor) for node, cursor in zip(nodes, cursors, strict=True)]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_next_page,
            # Relay lets a forward-only connection answer this from `after` alone: a page that
            # starts after a cursor has at least that cursor's item before it
            has_previous_page=bool(after),
            start_cursor=cursors[0] if cursors else None,
            end_cursor=cursors[-1] if cursors else None,
        ),
    )


def connection_of(page: Page[Any], node_of: Callable[[Any], T], after: str | None) -> Connection[T]:
    """A service's page as a connection: an edge keeps its cursor; any other item's is its
    id."""
    items = [(i.cursor, i.node) if isinstance(i, PageEdge) else (i.id, i) for i in page.items]
    nodes = [node_of(node) for _, node in items]
    return connection(nodes, [cursor for cursor, _ in items], page.has_next_page, after)


class Identified(Protocol):
    @property
    def id(self) -> str: ...


N = TypeVar("N", bound=Identified)


def page_by_id(nodes: list[N], first: int, after: str | None) -> Connection[N]:
    """`page_of` where each node's id is its cursor."""
    return page_of(nodes, [node.id for node in nodes], first, after)


def page_of(nodes: list[T], cursors: list[str], first: int, after: str | None) -> Connection[T]:
    """One page of a list the gateway already holds whole (a partnership's records)."""
    check_page_size(first)
    start = 0
    if after is not None:
        if after not in cursors:
            raise AppError(ErrorCode.BAD_USER_INPUT, "unknown cursor", field="after")
        start = cursors.index(after) + 1
    end = start + first
    return connection(nodes[start:end], cursors[start:end], len(nodes) > end, after)
