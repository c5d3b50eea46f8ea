"""Relay connections: `first`, `after`, `edges { node cursor }`, `pageInfo`."""

from __future__ import annotations

from typing import Generic, TypeVar

import strawberry

from shared.errors import AppError, ErrorCode

T = TypeVar("T")
MAX_PAGE_SIZE = 100


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


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


def connection(nodes: list[T], cursors: list[str], has_next_page: bool) -> Connection[T]:
    edges = [Edge(node=node, cursor=cursor) for node, cursor in zip(nodes, cursors, strict=True)]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_next_page, end_cursor=cursors[-1] if cursors else None
        ),
    )


def page_of(nodes: list[T], cursors: list[str], first: int, after: str | None) -> Connection[T]:
    """One page of a list the gateway already holds whole (a partnership's records)."""
    check_page_size(first)
    start = 0
    if after is not None:
        if after not in cursors:
            raise AppError(ErrorCode.BAD_USER_INPUT, "unknown cursor", field="after")
        start = cursors.index(after) + 1
    end = start + first
    return connection(nodes[start:end], cursors[start:end], len(nodes) > end)
