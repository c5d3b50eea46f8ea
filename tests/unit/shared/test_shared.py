"""Pure pieces of the shared library."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from deploy.asyncapi import asyncapi_document
from shared.contracts import EVENT_TYPES
from shared.contracts.page import DocPage, Edge, EdgePage
from shared.errors import AppError, ErrorCode, field_path
from shared.events import Envelope
from shared.settings import Settings
from shared.zones import check_time_zone


def test_envelope_round_trips_through_kafka_headers() -> None:
    envelope = Envelope(
        source="commonweave/intake",
        type="organization.registered",
        subject="org_1",
        time=datetime(2026, 11, 25, 9, 30, tzinfo=UTC),
    )
    headers = {k: v.encode() for k, v in envelope.to_headers().items()}
    assert headers["ce_specversion"] == b"1.0"
    assert Envelope.from_headers(headers) == envelope
    assert envelope.topic == "organization.registered"


def test_an_envelope_without_its_id_is_refused() -> None:
    headers = Envelope(source="s", type="t", subject="x").to_headers()
    del headers["ce_id"]
    try:
        Envelope.from_headers(headers)
    except ValueError as error:
        assert "ce_id" in str(error)
    else:
        raise AssertionError("a header-less envelope was accepted")


def test_field_paths_read_like_the_input() -> None:
    assert field_path(("input", "offers", 2, "quantity")) == "input.offers[2].quantity"
    assert field_path(()) == ""


def test_errors_survive_the_wire() -> None:
    error = AppError(ErrorCode.CONFLICT, "taken", field="input.name", details={"existingId": "o"})
    again = AppError.from_body(error.to_body())
    assert (again.code, again.message, again.field, again.details) == (
        ErrorCode.CONFLICT,
        "taken",
        "input.name",
        {"existingId": "o"},
    )
    assert again.http_status == 409
    assert AppError.from_body({"error": {"code": "WHAT"}}).code is ErrorCode.INTERNAL


def test_explicit_urls_win_over_host_and_port() -> None:
    settings = Settings(host="0.0.0.0", intake_port=9001, matching_url="http://matching:8002")
    assert settings.url_of("intake") == "http://127.0.0.1:9001"
    assert settings.url_of("matching") == "http://matching:8002"


def test_the_asyncapi_document_lists_every_topic_and_its_dlq() -> None:
    channels = asyncapi_document()["channels"]
    for topic in EVENT_TYPES:
        assert topic in channels and f"{topic}.dlq" in channels


def test_time_zone_names_are_checked_without_crashing() -> None:
    assert check_time_zone("Europe/Paris") == "Europe/Paris"
    for bad in ("Mars/Olympus", "America", "x" * 300, "../etc/passwd", ""):
        with pytest.raises(ValueError, match="unknown time zone"):
            check_time_zone(bad)


def test_service_client_runs_on_the_pool_that_reclaims_cancelled_connections() -> None:
    """shared/http.py relies on httpcore's pool internals (encode/httpcore#1093); an upgrade
    that renames them must fail here, not leak connections in production."""
    import httpcore

    from shared.http import ServiceClient, _ReclaimingPool

    client = ServiceClient("intake", "http://127.0.0.1:1", "token", 1.0, max_connections=7)
    pool = client._http._transport._pool  # type: ignore[attr-defined]
    assert isinstance(pool, _ReclaimingPool)
    assert pool._max_connections == 7
    assert callable(httpcore.AsyncConnectionPool._assign_requests_to_connections)
    assert hasattr(pool, "_requests") and hasattr(pool, "_connections")


def test_every_internal_page_answers_items_and_has_next_page() -> None:
    fetched = [{"id": "a"}, {"id": "b"}, {"id": "c"}]
    page = DocPage.of(fetched, 2)
    assert page.model_dump(mode="json") == {"items": fetched[:2], "hasNextPage": True}
    assert DocPage.model_validate(page.model_dump()) == page
    edges = EdgePage.of([Edge(cursor="a", node={"name": "A"})], 2)
    answer = edges.model_dump(mode="json")
    assert answer == {"items": [{"cursor": "a", "node": {"name": "A"}}], "hasNextPage": False}
    assert EdgePage.model_validate(answer).items[0].cursor == "a"
