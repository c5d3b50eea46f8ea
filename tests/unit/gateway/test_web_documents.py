"""Every GraphQL document /app's pages run is valid against the gateway's schema, so a renamed
field fails here in milliseconds, not on a page in the browser journeys."""

from __future__ import annotations

from types import ModuleType

import pytest
from graphql import parse, validate

from services.gateway.schema import build_schema
from services.gateway.web import network_queries, queries

SCHEMA = build_schema()._schema


def documents(module: ModuleType) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for name, value in vars(module).items():
        if name.isupper() and isinstance(value, str):
            found.append((name, value))
        elif name.isupper() and isinstance(value, dict):
            found += [(f"{name}[{k}]", v) for k, v in value.items()]
    return found


@pytest.mark.parametrize(("name", "document"), [*documents(queries), *documents(network_queries)])
def test_the_document_is_valid_against_the_schema(name: str, document: str) -> None:
    assert validate(SCHEMA, parse(document)) == [], name


def test_the_network_pages_documents_are_all_found() -> None:
    names = [name for name, _ in documents(network_queries)]
    assert "LINK_STEPS[end]" in names and "MEMBERS" in names and len(names) == 8
