"""The pure parts of /app's updates log and community voice pages: a win's words as a
milestone, the honeypot, the per-address limit, and the Idempotency-Key a resident's form
carries (the same form twice: one key; another form: another)."""

from __future__ import annotations

from limits.storage import MemoryStorage
from starlette.datastructures import FormData

from services.gateway.web.updates import MILESTONE_TITLE_LENGTH, milestone_of
from services.gateway.web.voice import VoiceLimits, filled_honeypot, idempotency


def test_a_short_win_is_the_title_and_a_long_one_keeps_its_words_in_the_note() -> None:
    assert milestone_of({"text": "First dinner served"}) == {
        "title": "First dinner served",
        "note": "",
    }
    long = "word " * 100
    made = milestone_of({"text": long})
    assert len(made["title"]) == MILESTONE_TITLE_LENGTH and made["title"].endswith("…")
    assert made["note"] == long


def test_only_a_filled_honeypot_gives_a_robot_away() -> None:
    assert not filled_honeypot(FormData([("rating", "4"), ("website", "  ")]))
    assert not filled_honeypot(FormData([("rating", "4")]))
    assert filled_honeypot(FormData([("rating", "4"), ("website", "http://spam.example")]))


async def test_five_answers_per_address_then_none() -> None:
    limits = VoiceLimits.in_store(MemoryStorage())
    allowed = [await limits.per_client.allow("community-voice:10.0.0.1") for _ in range(6)]
    assert allowed == [True] * 5 + [False]
    assert await limits.per_client.allow("community-voice:10.0.0.2")


def test_a_forms_key_is_the_same_twice_and_never_the_raw_key() -> None:
    first = idempotency(FormData([("idempotency_key", "abc")]))
    assert first == idempotency(FormData([("idempotency_key", "abc")]))
    assert "abc" not in next(iter(first.values()))
    assert first != idempotency(FormData([("idempotency_key", "abd")]))
    assert idempotency(FormData([])) == {}
