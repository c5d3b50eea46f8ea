"""The roles matrix (tests/support/roles.py): every mutation called by each role, allowed or
refused as the contract says. The table must name every mutation of the schema, so a new one
cannot escape it."""

from __future__ import annotations

import pytest

from deploy.stack import Stack
from services.gateway.schema import build_schema
from tests.support.roles import CASES, World, answers, make_world


@pytest.fixture(scope="module")
def world(stack: Stack) -> World:
    return make_world(stack)


def test_the_table_names_every_mutation() -> None:
    mutation = build_schema()._schema.mutation_type
    assert mutation is not None
    assert set(CASES) == set(mutation.fields)


@pytest.mark.parametrize("operation", sorted(CASES))
def test_each_role_is_allowed_or_refused(world: World, operation: str) -> None:
    assert answers(world, operation) == CASES[operation][2]
