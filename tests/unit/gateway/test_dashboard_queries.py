"""The dashboard's GraphQL documents are valid against the gateway's schema, and the page
escapes what organizations wrote."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import strawberry
from graphql import parse, validate
from starlette.requests import Request

from services.gateway.dashboard import images, queries
from services.gateway.dashboard.routes import HERE, view
from services.gateway.schema import build_schema
from services.gateway.web.language import Pages
from shared.i18n import Catalogs


@pytest.fixture(scope="module")
def schema() -> strawberry.Schema:
    return build_schema()


@pytest.mark.parametrize(
    "document",
    [
        queries.ME,
        queries.NETWORK,
        queries.NEEDS,
        queries.PARTNERSHIPS,
        queries.LINKS,
        images.PARTNERSHIP,
    ],
)
def test_the_documents_are_valid_against_the_schema(
    schema: strawberry.Schema, document: str
) -> None:
    assert validate(schema._schema, parse(document)) == []


def test_the_page_escapes_what_organizations_wrote() -> None:
    snapshot = queries.Snapshot(
        me={"role": "OPERATOR"},
        network={"id": "net_1", "name": "<b>Lane</b>", "region": "Lane", "timeZone": "UTC"},
        needs=[{"id": "need_1", "title": "<script>x()</script>", "area": "West", "severity": 3}],
    )
    request = Request({"type": "http", "method": "GET", "path": "/dashboard", "headers": []})
    pages = Pages.of(HERE / "templates", Catalogs.load())
    english_language = Catalogs.load().get("en")
    english = pages.templates["en"]
    html = english.get_template("dashboard.html").render(
        request=request, **view(snapshot, datetime(2026, 3, 1, tzinfo=UTC), english_language)
    )
    assert "<script>" not in html and "&lt;script&gt;x()&lt;/script&gt;" in html
    assert "&lt;b&gt;Lane&lt;/b&gt;" in html
    assert 'id="links"' not in html  # links are the operator's panel: none in this snapshot
    assert 'data-need-id="need_1"' in html
