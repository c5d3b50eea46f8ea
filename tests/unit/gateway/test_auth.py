"""Authorization helpers: another network is NOT_FOUND, a wrong role or organization FORBIDDEN."""

from __future__ import annotations

import pytest

from services.gateway.auth import (
    require_member_of,
    require_network,
    require_operator,
    require_party,
    require_role,
)
from services.gateway.context import Caller
from shared.contracts.intake import Role
from shared.errors import AppError, ErrorCode

ADMIN = Caller("mem_1", "net_a", "org_1", Role.ORG_ADMIN)
MEMBER = Caller("mem_2", "net_a", "org_1", Role.MEMBER)
OPERATOR = Caller("operator:net_a", "net_a", None, Role.OPERATOR)


def code_of(call: object) -> ErrorCode:
    with pytest.raises(AppError) as raised:
        call()  # type: ignore[operator]
    return raised.value.code


def test_another_network_is_not_found_for_every_role() -> None:
    for caller in (ADMIN, MEMBER, OPERATOR):
        assert code_of(lambda c=caller: require_network(c, "net_b")) is ErrorCode.NOT_FOUND
        assert (
            code_of(lambda c=caller: require_member_of(c, "org_9", "net_b", operator_allowed=True))
            is ErrorCode.NOT_FOUND
        )
        assert (
            code_of(lambda c=caller: require_party(c, ["org_1"], "net_b", "partnership", "prt_1"))
            is ErrorCode.NOT_FOUND
        )


def test_roles_in_the_same_network() -> None:
    require_role(ADMIN, Role.ORG_ADMIN)
    assert code_of(lambda: require_role(MEMBER, Role.ORG_ADMIN)) is ErrorCode.FORBIDDEN
    require_operator(OPERATOR, "net_a")
    assert code_of(lambda: require_operator(ADMIN, "net_a")) is ErrorCode.FORBIDDEN
    assert code_of(lambda: require_operator(OPERATOR, "net_b")) is ErrorCode.NOT_FOUND


def test_membership_of_an_organization() -> None:
    require_member_of(MEMBER, "org_1", "net_a")
    require_member_of(ADMIN, "org_1", "net_a", admin=True)
    assert code_of(lambda: require_member_of(MEMBER, "org_1", "net_a", admin=True)) is (
        ErrorCode.FORBIDDEN
    )
    assert code_of(lambda: require_member_of(ADMIN, "org_2", "net_a")) is ErrorCode.FORBIDDEN
    assert code_of(lambda: require_member_of(OPERATOR, "org_2", "net_a")) is ErrorCode.FORBIDDEN
    require_member_of(OPERATOR, "org_2", "net_a", operator_allowed=True)


def test_parties_of_a_partnership() -> None:
    require_party(MEMBER, ["org_1", "org_2"], "net_a", "partnership", "prt_1")
    require_party(OPERATOR, ["org_3"], "net_a", "partnership", "prt_1")
    assert (
        code_of(lambda: require_party(MEMBER, ["org_3"], "net_a", "partnership", "prt_1"))
        is ErrorCode.FORBIDDEN
    )
    assert (
        code_of(
            lambda: require_party(
                OPERATOR, ["org_3"], "net_a", "partnership", "prt_1", operator_allowed=False
            )
        )
        is ErrorCode.FORBIDDEN
    )
