"""Idempotent answers: stored once, replayed for the same key and request, CONFLICT for the
same key with another request, and never stored in clear (they can hold a token)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import pytest
from pymongo.errors import DuplicateKeyError

from services.intake.domain import OrganizationUpdate, updated_organization
from shared.contracts import OrganizationProfile, Resource
from shared.errors import AppError, ErrorCode
from shared.idempotency import ConcurrentWrite, Idempotency, WriteOnce


class FakeCollection:
    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}
        self.reads = 0

    async def find_one(self, query: dict[str, Any]) -> dict[str, Any] | None:
        self.reads += 1
        return self.docs.get(query["_id"])

    async def insert_one(self, doc: dict[str, Any], session: Any = None) -> None:
        if doc["_id"] in self.docs:
            raise DuplicateKeyError("duplicate")
        self.docs[doc["_id"]] = doc


def idempotency(collection: FakeCollection, key: str | None, route: str = "POST /x") -> Idempotency:
    return Idempotency(collection, key, route)  # type: ignore[arg-type]


async def test_the_first_answer_is_replayed_and_stored_encrypted() -> None:
    stored = FakeCollection()
    answer = {"adminToken": "cw_secret-token", "organization": {"name": "A"}}
    first = idempotency(stored, "digest-1")
    assert await first.replay({"a": 1}) is None
    await first.remember(None, {"a": 1}, answer)  # type: ignore[arg-type]
    assert "cw_secret-token" not in repr(stored.docs)
    assert "digest-1" not in repr(stored.docs)
    assert await idempotency(stored, "digest-1").replay({"a": 1}) == answer
    assert await idempotency(stored, "digest-2").replay({"a": 1}) is None
    assert await idempotency(stored, "digest-1", "POST /y").replay({"a": 1}) is None
    with pytest.raises(AppError) as raised:
        await idempotency(stored, "digest-1").replay({"a": 2})
    assert raised.value.code is ErrorCode.CONFLICT


async def test_without_a_key_nothing_is_stored_or_replayed() -> None:
    stored = FakeCollection()
    none = idempotency(stored, None)
    await none.remember(None, {}, {"x": 1})  # type: ignore[arg-type]
    assert stored.docs == {} and await none.replay({}) is None


async def test_a_twin_that_committed_first_answers_and_a_bare_duplicate_conflicts() -> None:
    stored = FakeCollection()
    twin = idempotency(stored, "k")

    async def lose_to_twin() -> dict[str, Any]:
        await twin.remember(None, {"r": 1}, {"winner": True})  # type: ignore[arg-type]
        raise DuplicateKeyError("the twin's write came first")

    assert await idempotency(stored, "k").once({"r": 1}, lose_to_twin) == {"winner": True}

    async def duplicate() -> dict[str, Any]:
        raise DuplicateKeyError("someone else")

    with pytest.raises(ConcurrentWrite):
        await idempotency(stored, "other").once({"r": 1}, duplicate)


async def test_without_a_key_an_error_is_raised_at_once() -> None:
    stored = FakeCollection()

    async def refused() -> dict[str, Any]:
        raise AppError(ErrorCode.NOT_FOUND, "no such partnership")

    async def duplicate() -> dict[str, Any]:
        raise DuplicateKeyError("someone else")

    with pytest.raises(AppError):
        await idempotency(stored, None).once({}, refused)
    with pytest.raises(ConcurrentWrite):
        await idempotency(stored, None).once({}, duplicate)
    assert stored.reads == 0  # nothing looked up, no waiting for a twin


async def test_write_once_stores_the_shaped_answer_in_the_write_and_replays_it() -> None:
    stored = FakeCollection()
    written: list[dict[str, Any]] = []

    class Shaped(WriteOnce):
        def shape(self, result: Any) -> Any:
            return {"id": result["_id"], "at": result["at"]}

    class Uow:  # what `run` needs of a unit of work: where to keep the answer
        remember: Any = None

    uow = Uow()

    async def write() -> dict[str, Any]:
        doc = {"_id": f"chk_{len(written)}", "at": datetime(2026, 3, 8, 10, 0, tzinfo=UTC)}
        written.append(doc)
        await uow.remember(None, doc)  # `uow.answer(doc)`, inside the write's transaction
        return doc

    first = await Shaped(idempotency(stored, "k")).run({"r": 1}, cast(Any, uow), write)
    assert first == {"id": "chk_0", "at": "2026-03-08T10:00:00+00:00"}
    assert await Shaped(idempotency(stored, "k")).run({"r": 1}, cast(Any, uow), write) == first
    assert len(written) == 1


def test_a_partial_update_changes_only_the_fields_sent() -> None:
    current = OrganizationProfile(
        organization_id="org_1", network_id="net_1", version=3, name="GreenLeaf",
        mission="Recycling", focus_areas=["environment"], offers=[Resource(kind="outreach")],
    )  # fmt: skip
    update = OrganizationUpdate.model_validate({"mission": "Rivers", "focus_areas": ["wellbeing"]})
    updated = updated_organization(current, update)
    assert updated.version == 4 and updated.name == "GreenLeaf" and updated.mission == "Rivers"
    assert updated.focus_areas == ["mental_health"] and updated.offers == current.offers
