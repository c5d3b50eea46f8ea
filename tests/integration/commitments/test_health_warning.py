"""Health over time through GraphQL, with the commitments clock under the test's control: a
weekly partnership whose partners stop checking in falls two periods in a row; every point is
in `healthHistory`, `trend` says DECLINING, and the early warning reaches every partner's
inbox and the operator's, naming the part that fell, once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from deploy.stack import Stack
from tests.support.organizations import register_admin
from tests.support.partnerships import CHECK_IN, COMMIT, UPDATE, form, set_clock, tick
from tests.support.stack import Client, create_network
from tests.support.wait import eventually

T0 = (datetime.now(UTC) + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
HISTORY = """query($id: ID!, $from: DateTime, $to: DateTime) { partnership(id: $id) {
  health { score label } trend healthWarnings { reason part { name } summary }
  healthHistory(from: $from, to: $to) { at score label parts { name score detail } } } }"""
INBOX = "{ notifications(first: 50) { edges { node { kind title body } } } }"


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


@pytest.fixture
def clock(stack: Stack) -> Iterator[None]:
    set_clock(stack, T0)
    yield
    set_clock(stack, None)


def warnings(client: Client) -> list[dict[str, Any]]:
    edges = client.data(INBOX)["notifications"]["edges"]
    return [e["node"] for e in edges if e["node"]["kind"] == "partnership.health_warning"]


def test_a_partnership_falling_two_periods_in_a_row_warns_partners_and_operator_once(
    stack: Stack, clock: None
) -> None:
    net = create_network(stack, name="Warning Network")
    operator = Client(stack.graphql_url, net["operatorToken"])
    oak, oak_admin = register_admin(operator, net["networkId"], "Oakwarn")
    elm, elm_admin = register_admin(operator, net["networkId"], "Elmwarn")
    pid = form(operator, "Oak & Elm", [oak, elm], checkInCadence="WEEKLY")["id"]

    set_clock(stack, day(1))
    oak_admin.data(CHECK_IN, {"i": {"partnershipId": pid, "heldAt": day(1).isoformat()}})
    made = oak_admin.data(
        COMMIT,
        {"i": {"partnershipId": pid, "ownerOrganizationId": oak, "title": "Flyers",
               "dueAt": day(3).isoformat()}},
    )["makeCommitment"]  # fmt: skip
    set_clock(stack, day(2))
    oak_admin.data(UPDATE, {"id": made["id"], "s": "DONE"})
    # No check-in after the first: regularity 1 of 1, then 1 of 2, then 1 of 3.
    for n in (8, 15, 22):
        set_clock(stack, day(n))
        tick(stack)

    found = oak_admin.data(HISTORY, {"id": pid})["partnership"]
    assert found["trend"] == "DECLINING"
    [kept] = found["healthWarnings"]
    assert (kept["reason"], kept["part"]["name"]) == ("DECLINING", "check_in_regularity")
    points = found["healthHistory"]
    assert [datetime.fromisoformat(p["at"]) - T0 for p in points] == [
        timedelta(days=n) for n in (0, 2, 8, 15, 22)
    ]
    assert [p["score"] for p in points][:3] == [0.5, 1.0, 1.0]
    assert points[-1]["score"] == found["health"]["score"] < points[-2]["score"] < 1.0
    assert points[-1]["parts"][-1]["detail"] == "1 of 3 check-ins held"
    window = {"id": pid, "from": day(8).isoformat(), "to": day(15).isoformat()}
    assert len(oak_admin.data(HISTORY, window)["partnership"]["healthHistory"]) == 2

    for reader in (oak_admin, elm_admin, operator):
        [warning] = eventually(lambda r=reader: warnings(r), timeout=30)  # type: ignore[misc]
        assert warning["title"] == "Early warning: Oak & Elm"
        assert (
            "Check-in regularity fell from 1.00 to 0.33: 1 of 3 check-ins held" in (warning["body"])
        )

    # Health recomputed later in the same falling streak is the same crossing: no second one.
    set_clock(stack, day(22.5))
    elm_admin.data(CHECK_IN, {"i": {"partnershipId": pid, "heldAt": day(22.4).isoformat()}})
    marker = eventually(
        lambda: [n for n in elm_admin.data(INBOX)["notifications"]["edges"]
                 if n["node"]["kind"] == "checkin.recorded"],
        timeout=30,
    )  # fmt: skip
    assert marker and len(warnings(elm_admin)) == 1
