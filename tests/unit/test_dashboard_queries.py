"""The dashboard's GraphQL documents are valid against the gateway's schema; the panel that
waits on API still to come (cross-network links) turns on by itself once the schema offers
it; and the page escapes what organizations wrote."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import strawberry
from graphql import parse, validate
from starlette.requests import Request

from services.gateway.dashboard import images, queries
from services.gateway.dashboard.routes import templates, view
from services.gateway.schema import build_schema


@pytest.fixture(scope="module")
def schema() -> strawberry.Schema:
    return build_schema()


@pytest.mark.parametrize(
    "document",
    [queries.ME, queries.NETWORK, queries.NEEDS, queries.PARTNERSHIPS, images.PARTNERSHIP],
)
def test_the_documents_are_valid_against_the_schema(
    schema: strawberry.Schema, document: str
) -> None:
    assert validate(schema._schema, parse(document)) == []


@strawberry.type
class Partnership:
    id: strawberry.ID


@strawberry.type
class NetworkLink:
    id: strawberry.ID
    status: str
    other_network_name: str
    partnership: Partnership


@strawberry.type
class LinkEdge:
    node: NetworkLink


@strawberry.type
class LinkConnection:
    edges: list[LinkEdge]


@strawberry.type
class Query:
    @strawberry.field
    def network_links(self, network_id: strawberry.ID) -> LinkConnection:
        return LinkConnection(edges=[])

    @strawberry.field
    def partnership(self, id: strawberry.ID) -> Partnership | None:
        return None


def test_without_the_api_to_come_the_links_panel_asks_for_nothing(
    schema: strawberry.Schema,
) -> None:
    assert queries.links_document(schema) is None


def test_links_are_asked_for_once_the_schema_offers_them() -> None:
    future = strawberry.Schema(query=Query)
    document = queries.links_document(future)
    assert document is not None and validate(future._schema, parse(document)) == []
    assert "id status otherNetworkName" in document and "partnership" not in document


def test_the_page_escapes_what_organizations_wrote() -> None:
    snapshot = queries.Snapshot(
        me={"role": "OPERATOR"},
        network={"id": "net_1", "name": "<b>Lane</b>", "region": "Lane", "timeZone": "UTC"},
        needs=[{"id": "need_1", "title": "<script>x()</script>", "area": "West", "severity": 3}],
    )
    request = Request({"type": "http", "method": "GET", "path": "/dashboard", "headers": []})
    html = templates.get_template("dashboard.html").render(
        request=request, **view(snapshot, datetime(2026, 3, 1, tzinfo=UTC))
    )
    assert "<script>" not in html and "&lt;script&gt;x()&lt;/script&gt;" in html
    assert "&lt;b&gt;Lane&lt;/b&gt;" in html
    assert 'id="links"' not in html  # the API offers no links yet
    assert 'data-need-id="need_1"' in html
