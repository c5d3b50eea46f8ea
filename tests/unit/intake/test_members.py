"""Removing members: an organization always keeps an admin."""

from __future__ import annotations

import pytest

from services.intake.domain import check_removable
from shared.errors import AppError, ErrorCode


def test_the_last_admin_cannot_be_removed() -> None:
    with pytest.raises(AppError) as refused:
        check_removable("ORG_ADMIN", admins=1)
    assert refused.value.code is ErrorCode.CONFLICT
    assert refused.value.field == "memberId"


def test_an_admin_with_a_colleague_admin_and_any_plain_member_can_be_removed() -> None:
    check_removable("ORG_ADMIN", admins=2)
    check_removable("MEMBER", admins=1)
