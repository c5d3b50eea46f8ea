"""Status rules, reminders and suggested roles: pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.commitments.domain.models import (
    CommitmentInput,
    CommitmentStatus,
    PartnershipInput,
    PartnershipStatus,
)
from services.commitments.domain.reminders import check_in_reminder, commitment_reminder
from services.commitments.domain.rules import (
    check_commitment_move,
    check_due_in_future,
    check_partnership_move,
    suggested_roles,
)
from shared.errors import AppError, ErrorCode

NOW = datetime(2027, 1, 4, 12, tzinfo=UTC)
WINDOW = timedelta(hours=48)


def test_an_open_commitment_closes_once() -> None:
    for status in (CommitmentStatus.DONE, CommitmentStatus.MISSED, CommitmentStatus.CANCELLED):
        check_commitment_move(CommitmentStatus.OPEN, status)
        with pytest.raises(AppError) as closed:
            check_commitment_move(status, CommitmentStatus.DONE)
        assert closed.value.code is ErrorCode.CONFLICT
    with pytest.raises(AppError) as reopen:
        check_commitment_move(CommitmentStatus.OPEN, CommitmentStatus.OPEN)
    assert reopen.value.code is ErrorCode.BAD_USER_INPUT


def test_partnership_moves() -> None:
    check_partnership_move(PartnershipStatus.ACTIVE, PartnershipStatus.PAUSED)
    check_partnership_move(PartnershipStatus.PAUSED, PartnershipStatus.CLOSED)
    with pytest.raises(AppError) as error:
        check_partnership_move(PartnershipStatus.CLOSED, PartnershipStatus.ACTIVE)
    assert error.value.code is ErrorCode.CONFLICT


def test_due_dates_must_be_in_the_future() -> None:
    with pytest.raises(AppError) as error:
        check_due_in_future(NOW - timedelta(minutes=1), NOW)
    assert (error.value.code, error.value.field) == (ErrorCode.BAD_USER_INPUT, "input.due_at")


def test_commitment_reminders() -> None:
    due = NOW + timedelta(hours=72)
    assert commitment_reminder("c", due, NOW, WINDOW) is None
    soon = commitment_reminder("c", due, NOW + timedelta(hours=25), WINDOW)
    late = commitment_reminder("c", due, due, WINDOW)
    assert soon is not None and soon.kind == "commitment.due_soon"
    assert late is not None and late.kind == "commitment.overdue"
    assert soon.key != late.key


def test_one_check_in_reminder_per_missed_period() -> None:
    week = timedelta(days=7)
    assert check_in_reminder("p", NOW, week, NOW + timedelta(days=6)) is None
    first = check_in_reminder("p", NOW, week, NOW + timedelta(days=8))
    again = check_in_reminder("p", NOW, week, NOW + timedelta(days=13))
    second = check_in_reminder("p", NOW, week, NOW + timedelta(days=15))
    assert first is not None and again is not None and second is not None
    assert first.key == again.key  # the same period: the same reminder
    assert second.due_at == NOW + 2 * week and second.key != first.key


def test_roles_follow_what_each_partner_offers() -> None:
    roles = suggested_roles(
        {"org_a": ["outreach", "volunteers"], "org_b": ["funding"]}, ["org_a", "org_b", "org_c"]
    )
    assert [(r.organization_id, r.title) for r in roles] == [
        ("org_a", "Outreach lead"),
        ("org_b", "Funding lead"),
        ("org_c", "Partner"),
    ]
    assert roles[0].responsibilities == [
        "Leads outreach to the community",
        "Recruits and coordinates volunteers",
    ]
    assert all(r.suggested for r in roles)


def test_inputs_name_the_bad_field() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as error:
        PartnershipInput(
            network_id="net_1", name="x", organization_ids=["a", "a"], time_zone="Mars/Olympus"
        )
    fields = {e["loc"][0] for e in error.value.errors()}
    assert fields == {"organization_ids", "time_zone"}
    with pytest.raises(ValidationError):
        CommitmentInput(owner_organization_id="a", title="t", due_at=datetime(2027, 1, 1))  # naive
