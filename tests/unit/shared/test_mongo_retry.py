"""`retry_transient`: a unit of work runs again while its transaction collides, and a request
whose documents stay busy is answered UNAVAILABLE and retryable, not as an internal error."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo import IndexModel
from pymongo.errors import AutoReconnect, OperationFailure

from shared.errors import AppError, ErrorCode
from shared.mongo import ensure_indexes, retry_transient


def write_conflict() -> OperationFailure:
    return OperationFailure(
        "WriteConflict", code=112, details={"errorLabels": ["TransientTransactionError"]}
    )


async def test_a_collision_is_run_again_until_it_passes() -> None:
    tries = 0

    async def work() -> str:
        nonlocal tries
        tries += 1
        if tries < 3:
            raise write_conflict()
        return "written"

    assert await retry_transient(work, within=5) == "written"
    assert tries == 3


async def test_documents_busy_past_the_bound_answer_unavailable_and_retryable() -> None:
    async def work() -> None:
        raise write_conflict()

    with pytest.raises(AppError) as raised:
        await retry_transient(work, within=0.2)
    assert raised.value.code is ErrorCode.UNAVAILABLE
    assert raised.value.details == {"retryable": True}
    assert "Idempotency-Key" in str(raised.value)


async def test_other_failures_are_not_retried() -> None:
    tries = 0

    async def work() -> None:
        nonlocal tries
        tries += 1
        raise OperationFailure("bad value", code=2)

    with pytest.raises(OperationFailure):
        await retry_transient(work, within=5)
    assert tries == 1


class FlakyCollection:
    """Its first index creation loses the connection, as a handshake cut short does."""

    def __init__(self, created: list[list[object]], failures: int) -> None:
        self._created = created
        self._failures = failures

    async def create_indexes(self, models: list[object]) -> None:
        if self._failures:
            self._failures -= 1
            raise AutoReconnect("operation cancelled")
        self._created.append(models)


async def test_index_creation_is_tried_again_after_a_lost_connection() -> None:
    created: list[list[object]] = []
    collection = FlakyCollection(created, failures=2)
    database: Any = {"outbox": collection}
    await ensure_indexes(database, {"outbox": [IndexModel([("seq", 1)])]})
    assert len(created) == 1


async def test_index_creation_gives_up_after_a_few_tries() -> None:
    database: Any = {"outbox": FlakyCollection([], failures=99)}
    with pytest.raises(AutoReconnect):
        await ensure_indexes(database, {"outbox": [IndexModel([("seq", 1)])]})
