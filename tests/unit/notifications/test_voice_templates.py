"""The messages of the updates log and the community's voice: an update goes to the other
partners; a resident's answer to every partner, or to the coordinator when no partnership takes
the need up; a contact never appears in a message (it would travel by email)."""

from __future__ import annotations

from services.notifications.domain import NOTIFIED_KINDS
from services.notifications.domain.templates import TEMPLATES
from shared import contracts as c
from shared.i18n import Catalogs, english

SPANISH = Catalogs.load().get("es")

REF = c.PartnershipRef(
    partnership_id="ptn_1",
    network_id="net_1",
    name="Oak & Elm",
    organization_ids=["org_a", "org_b"],
)


def test_an_update_goes_to_the_other_partners() -> None:
    posted = c.PartnershipUpdatePosted(
        partnership=REF,
        update_id="upd_1",
        kind=c.UpdateKind.SETBACK,
        text="The hall is booked",
        organization_id="org_a",
        member_id="mem_a",
    )
    message, audience = TEMPLATES["partnership.update_posted"](posted)
    message = message.drawn(english())
    assert (message.title, message.body) == ("A setback in Oak & Elm", "The hall is booked")
    assert audience.organization_ids == ["org_b"] and audience.subject_id == "ptn_1"


def test_a_residents_answer_goes_to_the_partners_or_the_coordinator_and_never_its_contact() -> None:
    received = c.CommunityResponseReceived(
        partnership=REF,
        network_id="net_1",
        response_id="cvr_1",
        rating=2,
        story="The bus does not stop there",
        has_contact=True,
    )
    message, audience = TEMPLATES["community.response_received"](received)
    assert message.drawn(SPANISH).title == "La comunidad sobre Oak & Elm"
    message = message.drawn(english())
    assert message.title == "The community on Oak & Elm"
    assert str(message.body).startswith("Rated 2/5. “The bus does not stop there”")
    assert "contact details" in str(message.body)
    assert audience.organization_ids == ["org_a", "org_b"] and not audience.member_ids
    for_need = received.model_copy(update={"partnership": None, "need_id": "need_1"})
    message, audience = TEMPLATES["community.response_received"](for_need)
    assert audience.member_ids == [c.operator_member_id("net_1")]
    assert audience.subject_id == "need_1" and not audience.organization_ids
    assert "contact" not in c.CommunityResponseReceived.model_fields
    assert {"partnership.update_posted", "community.response_received"} <= set(NOTIFIED_KINDS)
