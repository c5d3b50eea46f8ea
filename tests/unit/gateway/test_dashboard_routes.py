"""The dashboard's sign-in is accepted only from its own page, and its pages carry no script."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from services.gateway.dashboard.queries import DashboardError
from services.gateway.dashboard.routes import HEADERS, HERE, same_origin, status_of
from shared.clock import WallClock


def post(**headers: str) -> Request:
    raw = [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()]
    raw.append((b"host", b"127.0.0.1:8000"))
    scope = {
        "type": "http",
        "method": "POST",
        "scheme": "http",
        "path": "/dashboard/sign-in",
        "server": ("127.0.0.1", 8000),
        "headers": raw,
    }
    return Request(scope)


@pytest.mark.parametrize(
    ("headers", "allowed"),
    [
        ({"sec_fetch_site": "same-origin"}, True),
        ({"sec_fetch_site": "cross-site", "origin": "http://127.0.0.1:8000"}, False),
        ({"sec_fetch_site": "same-site"}, False),
        ({"origin": "http://127.0.0.1:8000"}, True),
        ({"origin": "https://evil.example"}, False),
        ({"origin": "null"}, False),
        ({}, True),  # curl and other clients that are no browser
    ],
)
def test_sign_in_is_accepted_from_the_dashboards_own_page_only(
    headers: dict[str, str], allowed: bool
) -> None:
    assert same_origin(post(**headers)) is allowed


def test_failures_other_than_a_bad_token_ask_to_retry() -> None:
    assert status_of(DashboardError("LIMIT_EXCEEDED", "slow down")) == 429
    assert status_of(DashboardError("UNAVAILABLE", "the stack is starting")) == 503


def test_pages_allow_no_script_and_are_not_cached() -> None:
    assert "default-src 'none'" in HEADERS["Content-Security-Policy"]
    assert "script-src" not in HEADERS["Content-Security-Policy"]
    assert HEADERS["Cache-Control"] == "no-store"
    for name in ("sign_in.html", "dashboard.html", "unavailable.html", "base.html"):
        source = (HERE / "templates" / name).read_text()
        assert "<script" not in source and "//" not in source  # nothing from another host


def test_the_partnership_reports_chart_urls_are_the_image_routes() -> None:
    import strawberry
    from fastapi.routing import APIRoute

    from services.gateway.dashboard.images import images_router
    from services.gateway.dashboard.routes import HERE
    from services.gateway.schema import build_schema
    from services.gateway.schema.partnership_types import PartnershipReport
    from services.gateway.web.language import Pages
    from shared.i18n import Catalogs

    report = PartnershipReport(partnership_id=strawberry.ID("p1"))
    pages = Pages.of(HERE / "templates", Catalogs.load())
    router = images_router(build_schema(), lambda token, request: None, pages, WallClock())  # type: ignore[arg-type,return-value]
    routes = [route for route in router.routes if isinstance(route, APIRoute)]
    paths = {route.path.replace("{ident}", "p1") for route in routes}
    assert {report.health_chart_url(), report.contributions_chart_url()} <= paths
