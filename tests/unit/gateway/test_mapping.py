"""The gateway's one mapping from a service's answer to a GraphQL object."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.gateway.schema.enums import CommitmentStatus, ContributionKind, PartnershipStatus
from services.gateway.schema.intake import organization_of
from services.gateway.schema.mapping import build, build_all
from services.gateway.schema.matching import match_of
from services.gateway.schema.notifications import Notification
from services.gateway.schema.partnership_types import Commitment, ContributionTotal, Partnership
from shared.contracts.commitments import ContributionView, contribution_totals
from shared.contracts.notifications import NotificationView

NOW = datetime(2026, 1, 5, 10, tzinfo=UTC)
PARTNERSHIP = {
    "id": "ptn_1",
    "network_id": "net_1",
    "name": "Green schools",
    "status": "active",
    "goals": ["recycling"],
    "check_in_cadence": "biweekly",
    "time_zone": "UTC",
    "organization_ids": ["org_a", "org_b"],
    "roles": [
        {"organization_id": "org_a", "title": "Lead", "responsibilities": [], "suggested": True}
    ],
    "health": {
        "score": 0.5,
        "label": "new",
        "parts": [{"name": "feedback", "score": 0.5, "weight": 1, "detail": ""}],
    },
    "formed_at": "2026-01-05T10:00:00+00:00",
    "last_check_in_at": None,
    "created_by": "stored, not shown",
}


def test_a_partnership_is_built_field_by_field_with_nested_types_enums_and_times() -> None:
    p = build(Partnership, PARTNERSHIP)
    assert p.status is PartnershipStatus.ACTIVE
    assert p.roles[0].title == "Lead" and p.roles[0].suggested
    assert p.health.parts[0].name == "feedback"
    assert p.formed_at == datetime(2026, 1, 5, 10, tzinfo=UTC)
    # optional fields the answer leaves out are null
    assert p.need_id is None and p.next_check_in_at is None


def test_a_missing_required_field_is_named() -> None:
    with pytest.raises(KeyError, match=r"Commitment\.partnership_id"):
        build(Commitment, {"id": "cmt_1"})


def test_given_fields_win_and_are_converted_like_the_answer() -> None:
    p = build(Partnership, PARTNERSHIP, status="closed", name="Renamed")
    assert p.status is PartnershipStatus.CLOSED and p.name == "Renamed"


def test_contract_models_are_read_by_field_name_whatever_their_json_keys() -> None:
    answer = {
        "id": "ntf_1",
        "kind": "match.suggested",
        "title": "t",
        "body": "b",
        "subjectId": "mat_1",
        "read": False,
        "createdAt": "2026-01-05T10:00:00+00:00",
    }
    n = build(Notification, NotificationView.model_validate(answer))
    assert n.subject_id == "mat_1" and n.created_at.year == 2026
    org = organization_of(
        {
            "organization_id": "org_a",
            "network_id": "net_1",
            "version": 1,
            "name": "GreenLeaf",
            "offers": [{"kind": "outreach"}],
        }
    )
    assert org.id == "org_a" and org.offers[0].kind.name == "OUTREACH" and org.time_zone == "UTC"


def test_a_match_shows_the_readers_reasons_and_each_answer() -> None:
    doc = {
        "id": "mat_1",
        "network_id": "net_1",
        "score": 0.8,
        "components": [],
        "reasons": {"org_a": ["for a"], "org_b": ["for b"]},
        "status": "SUGGESTED",
        "organization_ids": ["org_a", "org_b"],
        "parties": [
            {"organization_id": "org_a", "name": "A"},
            {"organization_id": "org_b", "name": "B"},
        ],
        "answers": {"org_b": {"decision": "ACCEPT"}},
        "created_at": "2026-01-05T10:00:00+00:00",
    }
    assert match_of(doc, "org_b").reasons == ["for b"]
    assert match_of(doc, None).reasons == ["for a"]
    assert [p.answer for p in match_of(doc, "org_a").parties] == [None, "ACCEPT"]


def test_contribution_totals_sum_per_organization_kind_and_unit_in_first_seen_order() -> None:
    records = [
        {
            "organization_id": "org_b",
            "kind": "funds",
            "unit": "USD",
            "quantity": 100,
            "estimated_value": 100,
        },
        {
            "organization_id": "org_a",
            "kind": "volunteer_hours",
            "unit": "hours",
            "quantity": 3,
            "estimated_value": 90,
        },
        {
            "organization_id": "org_b",
            "kind": "funds",
            "unit": "USD",
            "quantity": 50,
            "estimated_value": 50,
        },
    ]
    views = [
        ContributionView(id=f"con_{i}", partnership_id="ptn_1", created_at=NOW, **r)
        for i, r in enumerate(records)
    ]
    totals = build_all(ContributionTotal, contribution_totals(views))
    assert [(t.organization_id, t.kind, t.quantity, t.count) for t in totals] == [
        ("org_b", ContributionKind.FUNDS, 150, 2),
        ("org_a", ContributionKind.VOLUNTEER_HOURS, 3, 1),
    ]
    assert CommitmentStatus("open") is CommitmentStatus.OPEN
