"""`node(id)`: any object by its id. Ids carry a type prefix (`org_...`), so a dispatch table
maps the prefix to a fetch function; each schema module registers its own kinds:

    register_node("prt", Partnership, fetch_partnership)

(organizations: services/gateway/schema/intake.py; needs: services/gateway/schema/needs.py.)

A fetch applies network scoping itself: an object from another network raises NOT_FOUND,
exactly like a missing one. Registered types implement the `Node` interface."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import strawberry
from strawberry.types.base import StrawberryObjectDefinition

from services.gateway.schema.context import Info
from shared.errors import not_found


@strawberry.interface(description="An object with an id; fetch any of them with node(id).")
class Node:
    id: strawberry.ID


Fetch = Callable[[Info, str], Awaitable[Any]]


@dataclass(frozen=True)
class NodeKind:
    prefix: str
    type: type
    fetch: Fetch


NODE_KINDS: dict[str, NodeKind] = {}


def register_node(prefix: str, type_: type, fetch: Fetch) -> None:
    NODE_KINDS[prefix] = NodeKind(prefix, type_, fetch)


def implement_node(type_: type) -> None:
    """Declares `type_` an implementation of `Node` (before the schema is built)."""
    definition: StrawberryObjectDefinition = type_.__strawberry_definition__  # type: ignore[attr-defined]
    node = Node.__strawberry_definition__  # type: ignore[attr-defined]
    if node not in definition.interfaces:
        definition.interfaces.append(node)


def node_types() -> list[type]:
    for kind in NODE_KINDS.values():
        implement_node(kind.type)
    return [kind.type for kind in NODE_KINDS.values()]


def prefix_of(node_id: str) -> str:
    return node_id.split("_", 1)[0] if "_" in node_id else ""


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Any object by its id; NOT_FOUND for another network's ids.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        await info.context.caller()
        kind = NODE_KINDS.get(prefix_of(id))
        if kind is None:
            raise not_found("object", id)
        found: Node = await kind.fetch(info, id)
        return found


QUERIES: list[type] = [NodeQuery]
