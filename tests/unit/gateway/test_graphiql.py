"""GraphiQL's page: every asset is the gateway's own (no other host), each vendored file is the
one its Subresource Integrity hash names, and the starter query is valid against the schema."""

from __future__ import annotations

import base64
import hashlib
import re

from graphql import parse, validate

from services.gateway.graphiql import ASSETS_PATH, STARTER_QUERY, STATIC_DIR, graphiql_html
from services.gateway.schema import build_schema

ASSET = re.compile(r'(?:src|href)="([^"]+)"\s+integrity="sha384-([^"]+)"')


def test_every_asset_is_served_by_the_gateway_and_matches_its_hash() -> None:
    html = graphiql_html()
    assets = ASSET.findall(html)
    assert len(assets) == 4
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html), "an asset from another host"
    for url, expected in assets:
        assert url.startswith(f"{ASSETS_PATH}/")
        data = (STATIC_DIR / "graphiql" / url.removeprefix(f"{ASSETS_PATH}/")).read_bytes()
        assert base64.b64encode(hashlib.sha384(data).digest()).decode() == expected, url
    versions = (STATIC_DIR / "graphiql" / "VERSIONS.md").read_text()
    assert all(digest in versions for _, digest in assets)


def test_the_starter_query_is_valid_against_the_schema() -> None:
    schema = build_schema()._schema
    assert validate(schema, parse(STARTER_QUERY)) == []


def test_starters_cannot_end_the_script_element() -> None:
    html = graphiql_html(query="{ me { role } } # </script><b>")
    assert "</script><b>" not in html
