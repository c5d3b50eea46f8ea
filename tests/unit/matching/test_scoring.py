"""Pure pieces of matching: schedules across time zones, components, answers to a match."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from services.matching.domain import matches as docs
from services.matching.domain.index import ProfileIndex
from services.matching.domain.schedule import describe_overlap, this_monday, utc_hours
from services.matching.domain.scoring import top_partners
from services.matching.service import Matcher, weights_from
from shared.clock import Clock
from shared.contracts import AvailabilityWindow
from shared.contracts.matching import MatchDecision, MatchStatus
from shared.errors import AppError, ErrorCode
from shared.settings import Settings
from tests.support.field_report import ORGANIZATIONS, org

WEIGHTS = weights_from(Settings(_env_file=None))  # the defaults

MONDAY = date(2025, 1, 6)


def test_evening_hours_overlap_across_time_zones() -> None:
    new_york = utc_hours(
        [AvailabilityWindow(day="Tue", start="17:00", end="21:00")], "America/New_York", MONDAY
    )
    london = utc_hours(
        [AvailabilityWindow(day="tuesday", start="23:00", end="03:00")], "Europe/London", MONDAY
    )
    shared = set(new_york) & set(london)
    assert len(shared) == 3
    assert (
        describe_overlap(shared, "America/New_York", MONDAY)
        == "3 evening hours overlap on Tuesdays"
    )


def test_the_reference_week_starts_on_the_monday_of_the_day_given() -> None:
    assert this_monday(date(2025, 1, 12)) == MONDAY  # a Sunday
    assert this_monday(MONDAY) == MONDAY


def test_the_matchers_index_counts_hours_in_the_week_of_the_services_clock() -> None:
    # the US went to summer time on 9 March 2025: New York is UTC-4 that week, UTC-5 in January
    clock = Clock()
    clock.set(datetime(2025, 3, 12, 9, tzinfo=UTC))
    index = Matcher(Settings(_env_file=None), clock).index
    assert index.monday == date(2025, 3, 10)
    row = index.put(org("nyc", "Harlem Tutors", time_zone="America/New_York"))
    assert index.offset[row] == -4.0
    winter = ProfileIndex(MONDAY)
    assert (
        winter.offset[winter.put(org("nyc", "Harlem Tutors", time_zone="America/New_York"))] == -5.0
    )


def test_scores_are_in_range_and_declined_partners_are_left_out() -> None:
    index = ProfileIndex(MONDAY)
    index.put_many(ORGANIZATIONS)
    found = top_partners(index, "org_outreach", WEIGHTS, limit=20)
    assert all(0 <= s.score <= 1 for s in found)
    assert {c.name for c in found[0].components} == {n for n, _ in WEIGHTS.items()}
    without = top_partners(index, "org_outreach", WEIGHTS, limit=20, exclude=["org_funder"])
    assert "org_funder" not in {s.partner_id for s in without}


def test_reliability_moves_a_partner_up() -> None:
    index = ProfileIndex(MONDAY)
    index.put_many(
        [
            org("a", "A", focus_areas=["x"]),
            org("b", "B", focus_areas=["x"]),
            org("c", "C", focus_areas=["x"]),
        ]
    )
    index.set_reliability("org_c", 1.0)
    best = top_partners(index, "org_a", WEIGHTS, limit=1)[0]
    assert best.partner_id == "org_c"
    assert "C has a strong record of keeping its commitments" in best.reasons["org_a"]


def test_archived_organizations_are_not_suggested() -> None:
    index = ProfileIndex(MONDAY)
    index.put_many(ORGANIZATIONS)
    index.put(ORGANIZATIONS[1].model_copy(update={"archived": True}))
    assert "org_funder" not in {
        s.partner_id for s in top_partners(index, "org_outreach", WEIGHTS, 20)
    }


def test_a_match_is_accepted_only_when_every_party_accepts_and_answers_once() -> None:
    match: dict[str, Any] = {
        "_id": "match_1",
        "organization_ids": ["org_a", "org_b"],
        "answers": {},
        "status": "SUGGESTED",
    }
    docs.check_answer(match, "org_a")
    match["answers"] = {"org_a": {"decision": "ACCEPT"}}
    assert docs.status_after(match, MatchDecision.ACCEPT) is MatchStatus.SUGGESTED
    with pytest.raises(AppError) as again:
        docs.check_answer(match, "org_a")
    assert again.value.code is ErrorCode.CONFLICT
    match["answers"]["org_b"] = {"decision": "ACCEPT"}
    assert docs.status_after(match, MatchDecision.ACCEPT) is MatchStatus.ACCEPTED
    assert docs.status_after(match, MatchDecision.DECLINE) is MatchStatus.DECLINED
