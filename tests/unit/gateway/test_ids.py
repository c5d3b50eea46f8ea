"""Malformed ids answer NOT_FOUND before any service is called."""

from __future__ import annotations

import pytest

from services.gateway.ids import is_well_formed
from services.gateway.schema import build_schema


@pytest.mark.parametrize(
    "value", ["org_3f2a9c", "operator:net_1", "0001732500000000000000ab12cd34", "net_x.y"]
)
def test_real_ids_are_well_formed(value: str) -> None:
    assert is_well_formed(value)


@pytest.mark.parametrize("value", ["", "a/b", "../admin", "org_1?x=1", "x" * 200, " org_1"])
def test_malformed_ids_are_refused(value: str) -> None:
    assert not is_well_formed(value)


async def test_a_malformed_id_argument_is_not_found_without_io() -> None:
    result = await build_schema().execute('{ organization(id: "a/b") { id } }')
    assert result.errors is not None
    assert [e.original_error.code.value for e in result.errors] == ["NOT_FOUND"]  # type: ignore[union-attr]
