"""Preferences: validation names the field, the inbox is mandatory, updates change only what
they give; operator messages and the digest email."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from services.notifications.domain.operators import OPERATOR_TEMPLATES, operator_member_id
from services.notifications.domain.preferences import Preferences, PreferencesPatch, QuietHours
from services.notifications.domain.templates import Message, digest
from shared import contracts as c
from shared.errors import field_path
from shared.i18n import Catalogs


class Body(BaseModel):
    input: PreferencesPatch


def error_field(data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as refused:
        Body.model_validate({"input": data})
    return field_path(refused.value.errors()[0]["loc"])


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "input.time_zone"),
        ({"time_zone": "America"}, "input.time_zone"),
        ({"time_zone": "x" * 5000}, "input.time_zone"),
        ({"quiet_hours": {"start": "25:00", "end": "07:00"}}, "input.quiet_hours.start"),
        ({"quiet_hours": {"start": "22:00", "end": "7am"}}, "input.quiet_hours.end"),
        ({"quiet_hours": {"start": "22:00", "end": "22:00"}}, "input.quiet_hours"),
        ({"digest_hour": 24}, "input.digest_hour"),
        ({"digest": "WEEKLY"}, "input.digest"),
        ({"channels": [{"kind": "a", "channels": ["SMS"]}]}, "input.channels[0].channels[0]"),
        (
            {"channels": [{"kind": "a", "channels": []}, {"kind": "a", "channels": []}]},
            "input.channels",
        ),
    ],
)
def test_invalid_input_names_its_field(data: dict[str, Any], field: str) -> None:
    assert error_field(data) == field


def test_the_inbox_is_always_a_channel() -> None:
    patch = PreferencesPatch.model_validate(
        {"channels": [{"kind": "match.suggested", "channels": ["EMAIL", "EMAIL"]}]}
    )
    prefs = patch.apply(Preferences())
    assert prefs.channels_for("match.suggested") == ["INBOX", "EMAIL"]
    assert Preferences(default_channels=[]).channels_for("anything") == ["INBOX"]


def test_an_update_changes_only_what_it_gives_and_null_clears_quiet_hours() -> None:
    current = Preferences(
        quiet_hours=QuietHours(start="22:00", end="07:00"), time_zone="Europe/Paris"
    )
    digest_only = PreferencesPatch.model_validate({"digest": "DAILY"}).apply(current)
    assert (digest_only.digest, digest_only.time_zone) == ("DAILY", "Europe/Paris")
    assert digest_only.quiet_hours == current.quiet_hours
    cleared = PreferencesPatch.model_validate({"quiet_hours": None}).apply(digest_only)
    assert cleared.quiet_hours is None and cleared.digest == "DAILY"


def test_unknown_kinds_are_found_with_their_index() -> None:
    patch = PreferencesPatch.model_validate(
        {"channels": [{"kind": "milestone.reached", "channels": []}, {"kind": "x", "channels": []}]}
    )
    assert patch.unknown_kind({"milestone.reached"}) == (1, "x")


def test_network_wide_events_go_to_the_operator_inbox() -> None:
    need = c.NeedReported(
        need=c.NeedProfile(
            need_id="need_1",
            network_id="net_1",
            version=1,
            title="Winter coats",
            focus_area="housing",
            area="Westside",
            severity=4,
        )
    )
    message, audience = OPERATOR_TEMPLATES["need.reported"](need)
    message = message.drawn(Catalogs.load().get("en"))
    assert message.title == "Need reported: Winter coats"
    assert audience.member_ids == [operator_member_id("net_1")] == ["operator:net_1"]
    assert audience.organization_ids == []


def test_a_digest_lists_every_item() -> None:
    email = digest([Message("First", "one"), Message("Second", "two")]).drawn(
        Catalogs.load().get("en")
    )
    assert email.title == "Your Commonweave digest: 2 updates"
    assert email.body.index("First") < email.body.index("Second")
    assert "one" in email.body and "two" in email.body
