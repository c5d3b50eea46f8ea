"""A partnership run for a simulated quarter through GraphQL, with the commitments clock
controlled by the test: reminders, check-ins, commitments kept and missed, contributions,
feedback, a milestone, closing; then its health and report read back, and the reminders
read off Kafka with a plain consumer."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from deploy.stack import Stack
from tests.support.events import read_all
from tests.support.organizations import register_profile
from tests.support.partnerships import CHECK_IN, COMMIT, UPDATE, form, set_clock, tick
from tests.support.stack import Client, codes, create_network
from tests.support.wait import eventually

T0 = (datetime.now(UTC) + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


@pytest.fixture
def clock(stack: Stack) -> Iterator[None]:
    set_clock(stack, T0)
    yield
    set_clock(stack, None)


def tuesday(start: str, end: str) -> dict[str, str]:
    return {"day": "tuesday", "start": start, "end": end}


def commit(client: Client, pid: str, owner: str, title: str, due: datetime) -> str:
    body = {"partnershipId": pid, "ownerOrganizationId": owner, "title": title}
    made = client.data(COMMIT, {"i": {**body, "dueAt": due.isoformat()}})["makeCommitment"]
    assert made["status"] == "OPEN"
    commitment_id: str = made["id"]
    return commitment_id


REPORT = """query($id: ID!) { partnership(id: $id) { status
  health { score label parts { name score detail } }
  contributionTotals { organizationId kind quantity unit estimatedValue }
  report { data csv } } }"""


def test_a_partnership_runs_for_a_quarter(stack: Stack, clock: None) -> None:
    net = create_network(stack, name="Quarter Network")
    operator = Client(stack.graphql_url, net["operatorToken"])
    greenleaf = register_profile(
        operator, net["networkId"], "GreenLeaf", offers=[{"kind": "OUTREACH"}],
        timeZone="America/New_York", availability=[tuesday("17:00", "20:00")],
    )  # fmt: skip
    school = register_profile(
        operator, net["networkId"], "Northside School", offers=[{"kind": "VENUE"}],
        timeZone="America/Chicago", availability=[tuesday("15:00", "18:00")],
    )  # fmt: skip
    green = operator.as_(greenleaf["adminToken"])
    north = operator.as_(school["adminToken"])
    g_id, n_id = greenleaf["organization"]["id"], school["organization"]["id"]

    formed = form(
        green, "Recycling drive", [g_id, n_id], goals=["Run a recycling drive"],
        checkInCadence="BIWEEKLY",
    )  # fmt: skip
    pid = formed["id"]
    assert formed["status"] == "FORMING"
    assert [(r["title"], r["suggested"]) for r in formed["roles"]] == [
        ("Outreach lead", True),
        ("Host", True),
    ]
    roles = north.data(
        "mutation($p: ID!, $o: ID!) { assignRoles(partnershipId: $p, organizationId: $o, "
        'title: "Host school", responsibilities: ["Hosts drives in the yard", "Tells parents"]) '
        "{ roles { organizationId title responsibilities suggested } } }",
        {"p": pid, "o": n_id},
    )["assignRoles"]["roles"]
    assert roles[1] == {
        "organizationId": n_id,
        "title": "Host school",
        "responsibilities": ["Hosts drives in the yard", "Tells parents"],
        "suggested": False,
    }

    flyers = commit(green, pid, g_id, "Print flyers", day(10))
    yard = commit(north, pid, n_id, "Book the yard", day(20))
    volunteers = commit(green, pid, g_id, "Recruit 20 volunteers", day(40))

    set_clock(stack, day(8) + timedelta(hours=1))
    tick(stack)  # flyers are due in 47 hours
    held = {"partnershipId": pid, "heldAt": day(8).isoformat(), "wins": ["Flyers designed"]}
    green.data(CHECK_IN, {"i": held})
    set_clock(stack, day(9))
    assert codes(north.errors(UPDATE, {"id": flyers, "s": "DONE"})) == ["FORBIDDEN"]
    assert green.data(UPDATE, {"id": flyers, "s": "DONE"})["updateCommitment"]["status"] == "DONE"
    assert codes(green.errors(UPDATE, {"id": flyers, "s": "MISSED"})) == ["CONFLICT"]

    set_clock(stack, day(21))
    tick(stack)  # the yard booking is overdue
    north.data(UPDATE, {"id": yard, "s": "MISSED"})
    contribute = (
        "mutation($i: LogContributionInput!) { logContribution(input: $i) { id kind quantity } }"
    )
    hours = {"kind": "VOLUNTEER_HOURS", "quantity": 40, "unit": "hours", "estimatedValue": 1200}
    bins = {"kind": "MATERIALS", "quantity": 30, "unit": "bins", "estimatedValue": 450}
    green.data(contribute, {"i": {"partnershipId": pid, "organizationId": g_id, **hours}})
    north.data(contribute, {"i": {"partnershipId": pid, "organizationId": n_id, **bins}})
    feedback = "mutation($i: SubmitFeedbackInput!) { submitFeedback(input: $i) { id rating } }"
    loved = {"rating": 4, "comment": "Kids loved it", "participantsReached": 120}
    green.data(feedback, {"i": {"partnershipId": pid, **loved}})
    north.data(feedback, {"i": {"partnershipId": pid, "rating": 5, "participantsReached": 80}})
    north.data(
        "mutation($i: ReachMilestoneInput!) { reachMilestone(input: $i) { id } }",
        {"i": {"partnershipId": pid, "title": "First recycling drive done"}},
    )

    set_clock(stack, day(91))
    tick(stack)  # the volunteers are overdue; a check-in is due (none since day 8)
    closed = green.data(
        "mutation($id: ID!) { updatePartnershipStatus(id: $id, status: CLOSED) { status } }",
        {"id": pid},
    )
    assert closed["updatePartnershipStatus"]["status"] == "CLOSED"
    late = {"partnershipId": pid, "ownerOrganizationId": g_id, "title": "One more"}
    late["dueAt"] = day(99).isoformat()
    assert codes(green.errors(COMMIT, {"i": late})) == ["CONFLICT"]

    found = green.data(REPORT, {"id": pid})["partnership"]
    parts = {p["name"]: p for p in found["health"]["parts"]}
    # Hand-computed at the last scheduler tick (day 91):
    assert parts["follow_through"]["score"] == 0.5  # flyers on time (1), yard missed (0)
    assert parts["check_in_regularity"]["detail"] == "1 of 6 check-ins held"  # 91 // 14 periods
    assert parts["feedback"]["score"] == 0.875  # average 4.5 -> 3.5 / 4
    assert parts["engagement"]["score"] == pytest.approx(0.5 * 200 / 250 + 0.5 * 2 / 7, abs=1e-4)
    expected = 0.5 * 0.35 + (1 / 6) * 0.25 + 0.875 * 0.25 + (0.4 + 1 / 7) * 0.15
    assert found["health"]["score"] == pytest.approx(expected, abs=1e-4)
    totals = {
        (t["organizationId"], t["kind"]): t["estimatedValue"] for t in found["contributionTotals"]
    }
    assert totals == {(g_id, "VOLUNTEER_HOURS"): 1200.0, (n_id, "MATERIALS"): 450.0}

    report = found["report"]["data"]
    assert report["commitments"] == {
        "made": 3, "open": 1, "done": 1, "missed": 1, "cancelled": 0, "kept_on_time": 1,
    }  # fmt: skip
    assert report["check_ins"] == 1 and report["wins"] == ["Flyers designed"]
    assert report["participants_reached"] == 200 and report["total_estimated_value"] == 1650.0
    assert report["feedback"]["average_rating"] == 4.5
    assert [c["comment"] for c in report["feedback"]["comments"]] == ["Kids loved it"]
    assert [m["title"] for m in report["milestones"]] == ["First recycling drive done"]
    rows = list(csv.reader(io.StringIO(found["report"]["csv"])))
    assert rows[0] == ["section", "organization", "measure", "value", "unit", "note"]
    assert ["feedback", "", "rating", "4", "of 5", "Kids loved it"] in rows
    assert all(len(row) == len(rows[0]) for row in rows)
    assert ["contributions", "GreenLeaf", "volunteer_hours", "40.0", "hours", ""] in rows

    async_records = read_reminders(stack, pid)
    assert async_records == {
        "commitment.due_soon": [flyers],
        "commitment.overdue": sorted([yard, volunteers]),
        "checkin.due": [pid],
    }

    def celebrated(client: Client) -> bool:
        edges = client.data("{ notifications(first: 50) { edges { node { kind body } } } }")
        kinds = [e["node"] for e in edges["notifications"]["edges"]]
        return any(n["kind"] == "milestone.reached" for n in kinds)

    assert eventually(lambda: celebrated(green) and celebrated(north), timeout=30)


def read_reminders(stack: Stack, partnership_id: str) -> dict[str, list[str]]:
    import asyncio

    topics = ["commitment.due_soon", "commitment.overdue", "checkin.due"]
    records = asyncio.run(read_all(stack.settings.kafka_bootstrap, topics))
    found: dict[str, list[str]] = {}
    for record in records:
        body = json.loads(record.value)
        headers = {k: v.decode() for k, v in record.headers}
        if body["partnership"]["partnership_id"] != partnership_id:
            continue
        assert headers["ce_specversion"] == "1.0" and headers["ce_type"] == record.topic
        found.setdefault(record.topic, []).append(headers["ce_subject"])
    return {topic: sorted(ids) for topic, ids in found.items()}
