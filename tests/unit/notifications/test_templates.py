"""Templates: short human messages, addressed to the right organizations."""

from __future__ import annotations

from datetime import UTC, datetime

from services.notifications.domain.templates import MANY, TEMPLATES, Audience, Message, messages
from shared import contracts as c
from shared.i18n import Catalogs

ENGLISH = Catalogs.load().get("en")


def in_english(rendered: tuple[Message, Audience]) -> tuple[Message, Audience]:
    message, audience = rendered
    return message.drawn(ENGLISH), audience


PARTNERSHIP = c.PartnershipRef(
    partnership_id="prt_1",
    network_id="net_1",
    name="GreenLeaf + Northside School",
    organization_ids=["org_green", "org_school"],
)


def test_a_milestone_is_celebrated_with_every_partner() -> None:
    event = c.MilestoneReached(
        partnership=PARTNERSHIP, milestone_id="ms_1", title="First recycling drive done"
    )
    message, audience = in_english(TEMPLATES["milestone.reached"](event))
    assert "GreenLeaf + Northside School reached a milestone" in message.title
    assert "First recycling drive done" in message.body
    assert audience.organization_ids == ["org_green", "org_school"]
    assert audience.subject_id == "prt_1"


def test_an_overdue_commitment_names_what_and_when() -> None:
    event = c.CommitmentEvent(
        partnership=PARTNERSHIP,
        commitment_id="cmt_1",
        owner_organization_id="org_green",
        title="Print 200 flyers",
        due_at=datetime(2026, 12, 1, 17, 0, tzinfo=UTC),
        status="OPEN",
    )
    message, _ = in_english(TEMPLATES["commitment.overdue"](event))
    assert message.title == "Overdue: Print 200 flyers"
    assert "Tue, Dec 1 17:00 UTC" in message.body


def test_a_match_suggestion_goes_to_both_parties_with_its_first_reason() -> None:
    event = c.MatchSuggested(
        match_id="match_1",
        network_id="net_1",
        score=0.82,
        parties=[
            c.MatchParty(organization_id="org_a", name="GreenLeaf"),
            c.MatchParty(organization_id="org_b", name="Fund for Kids"),
        ],
        reasons=["GreenLeaf offers outreach, which you need"],
    )
    message, audience = in_english(TEMPLATES["match.suggested"](event))
    assert message.title == "New partner suggestion: GreenLeaf and Fund for Kids"
    assert message.body.startswith("GreenLeaf offers outreach, which you need.")
    assert audience.organization_ids == ["org_a", "org_b"]


def suggestions_for_newcomer(*ranks: int) -> c.MatchesSuggested:
    return c.MatchesSuggested(
        organization_id="org_new",
        name="GreenLeaf",
        network_id="net_1",
        suggestions=[
            c.SuggestedPartner(
                match_id=f"match_{i}",
                organization_id=f"org_{i}",
                name=f"Partner {i}",
                network_id="net_1",
                score=0.9 - i / 10,
                reasons=[f"Partner {i} offers meals, which you need", "Both are based in Lane"],
                partner_reasons=["GreenLeaf offers outreach, which you need"],
                partner_rank=rank,
            )
            for i, rank in enumerate(ranks)
        ],
    )


def drawn(event: c.MatchesSuggested) -> list[tuple[Message, Audience]]:
    return [in_english(one) for one in messages("matches.suggested", event)]


def test_a_newcomer_hears_of_all_its_partners_in_one_message_with_each_first_reason() -> None:
    [(message, audience), *_] = drawn(suggestions_for_newcomer(1, 5))
    assert message.title == "2 partner suggestions for GreenLeaf"
    assert message.body.splitlines() == [
        "• Partner 0: Partner 0 offers meals, which you need.",
        "• Partner 1: Partner 1 offers meals, which you need.",
        "Accept or decline each in your matches.",
    ]
    assert (audience.organization_ids, audience.subject_id) == (["org_new"], "org_new")
    assert audience.at_once
    [(one, _)] = drawn(suggestions_for_newcomer(9))[:1]
    assert one.title == "1 partner suggestion for GreenLeaf"


def test_a_partner_is_told_at_once_only_when_the_newcomer_enters_its_top_3() -> None:
    _, *partners = drawn(suggestions_for_newcomer(1, 3, 4, 10))
    assert [(a.organization_ids, a.subject_id, a.at_once) for _, a in partners] == [
        (["org_0"], "match_0", True),
        (["org_1"], "match_1", True),
        (["org_2"], "match_2", False),  # waits for its digest and its matches list
        (["org_3"], "match_3", False),
    ]
    told, waits = partners[0][0], partners[2][0]
    assert told.title == waits.title == "New partner suggestion: GreenLeaf"
    assert told.body == (
        "GreenLeaf offers outreach, which you need. Score 0.90. "
        "GreenLeaf is now among your top 3 suggestions."
    )
    assert waits.body == "GreenLeaf offers outreach, which you need. Score 0.70."


def test_every_template_kind_is_a_known_event_type() -> None:
    assert set(TEMPLATES) | set(MANY) <= set(c.EVENT_TYPES)


def test_check_ins_and_health_changes_reach_every_partner() -> None:
    checkin = c.CheckInRecorded(
        partnership=PARTNERSHIP,
        check_in_id="chk_1",
        held_at=datetime(2026, 12, 1, 17, 0, tzinfo=UTC),
        wins=["40 families served"],
        blockers=["no van on Fridays"],
    )
    message, audience = in_english(TEMPLATES["checkin.recorded"](checkin))
    assert "40 families served" in message.body and "no van on Fridays" in message.body
    assert audience.organization_ids == ["org_green", "org_school"]
    health = c.PartnershipHealthChanged(partnership=PARTNERSHIP, score=0.62, previous_score=0.8)
    message, audience = in_english(TEMPLATES["partnership.health_changed"](health))
    assert message.body == "Health score is now 0.62 (was 0.80)."
    assert audience.organization_ids == ["org_green", "org_school"]


def test_an_early_warning_names_the_part_that_fell_to_every_partner_and_the_operator() -> None:
    part = c.HealthPart(
        name="check_in_regularity", score=0.5, weight=0.25, detail="2 of 4 check-ins held"
    )
    warning = c.PartnershipHealthWarning(
        partnership=PARTNERSHIP,
        reason="declining",
        crossing="declining:1",
        score=0.6,
        previous_score=0.8,
        part=part,
        part_previous_score=1.0,
        summary="Health fell two check-in periods in a row (0.80 → 0.60). Check-in regularity "
        "fell from 1.00 to 0.50: 2 of 4 check-ins held.",
    )
    message, audience = in_english(TEMPLATES["partnership.health_warning"](warning))
    assert message.title == f"Early warning: {PARTNERSHIP.name}"
    assert "2 of 4 check-ins held" in message.body
    assert audience.organization_ids == ["org_green", "org_school"]
    assert audience.member_ids == [c.operator_member_id(PARTNERSHIP.network_id)]


def test_a_proposed_commitment_says_it_waits_for_its_owner() -> None:
    made = c.CommitmentEvent(
        partnership=PARTNERSHIP,
        commitment_id="cmt_1",
        owner_organization_id="org_school",
        title="Lend the gym",
        due_at=datetime(2026, 12, 1, 17, 0, tzinfo=UTC),
        status="proposed",
    )
    message, _ = in_english(TEMPLATES["commitment.made"](made))
    assert message.title == "Proposed commitment: Lend the gym"
    assert "accepts" in message.body
    message, _ = in_english(TEMPLATES["commitment.accepted"](made))
    assert message.title == "Commitment accepted: Lend the gym"


def test_a_removed_member_is_announced_to_the_rest_of_the_organization() -> None:
    member = c.MemberRef(member_id="mem_1", name="Flo", email="flo@tools.org", role="MEMBER")
    event = c.MemberRemoved(
        network_id="net_1", organization_id="org_tools", member=member, removed_by="mem_admin"
    )
    message, audience = in_english(TEMPLATES["member.removed"](event))
    assert message.title == "Flo was removed"
    assert "flo@tools.org" in message.body
    assert audience.organization_ids == ["org_tools"] and audience.member_ids == []
