"""The one page shape of every internal list answer: `{"items": [...], "hasNextPage": bool}`.
A service builds it from `first` + 1 fetched items (`Page.of`); the gateway reads it back with
`Page[...].model_validate`. Items keyed by a cursor other than their id are `Edge`s."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class Edge(BaseModel, Generic[T]):
    cursor: str
    node: T


class Page(BaseModel, Generic[T]):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    items: list[T]
    has_next_page: bool = Field(alias="hasNextPage")

    @classmethod
    def of(cls, fetched: list[T], first: int) -> Page[T]:
        """A page from `first` + 1 fetched items: the extra one only says there is more."""
        return cls(items=fetched[:first], has_next_page=len(fetched) > first)


class Batch(BaseModel, Generic[T]):
    """The answer of a batch route (`GET ...?ids=a,b`): each key found, with its value."""

    items: dict[str, T]


# The two pages services answer: documents with their own id as cursor, and edges.
DocPage = Page[dict[str, Any]]
EdgePage = Page[Edge[Any]]
