"""The tenant-isolation matrix (tests/support/isolation.py), generated from the schema: every
query, mutation and subscription that takes an id, called by network A's operator and org
admin with network B's ids, answers NOT_FOUND (as for a missing id) and changes nothing in B.
A new operation is in the matrix automatically; one whose ids cannot be made yet must be
listed in PENDING there."""

from __future__ import annotations

from typing import Any

import pytest

from deploy.stack import Stack
from tests.support.isolation import make_network_b, run_matrix


@pytest.fixture(scope="module")
def network_b(stack: Stack) -> dict[str, Any]:
    return make_network_b(stack)


def test_every_operation_with_an_id_answers_not_found_across_networks(
    stack: Stack, network_b: dict[str, Any]
) -> None:
    matrix = run_matrix(stack, network_b)
    assert not matrix.failures, matrix.failures
    assert {"node", "network", "organization"} <= set(matrix.checked), matrix.checked
    assert not matrix.changed, matrix.changed
