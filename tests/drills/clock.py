"""Clock steps: one service's wall clock stepped back 10 minutes or forward a day while the
rest of the stack keeps the true time, then set right again.

The service runs under libfaketime (Debian's `faketime`), preloaded into that one process,
reading its offset from a file on every call (`FAKETIME_NO_CACHE`), so the drill steps the
clock at run time by rewriting the file; the monotonic clock is left alone
(`FAKETIME_DONT_FAKE_MONOTONIC`), as on a host whose NTP stepped the wall clock. The runner
and every other process keep the real time.

Besides the registration load and its audit, the commitments drills keep partnerships with
commitments and check-ins, the scheduler ticking every second, and check:
- no reminder twice: due-soon, overdue and check-in-due events per item in the outbox;
- the relay's lease: every event of the outbox published by the end, and the lease's expiry
  not stamped beyond the real time;
- no health point (nor a reminder's record) stamped later than the real time + SKEW."""

from __future__ import annotations

import signal
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pymongo import MongoClient

from deploy.stack import Stack
from shared.settings import ServiceName
from tests.drills.faults import signal_component
from tests.drills.harness import (
    Drill,
    DrillRun,
    Options,
    Row,
    audit,
    load,
    retryable,
    supervised_stack,
)
from tests.support.partnerships import CHECK_IN, COMMIT, FORM, UPDATE
from tests.support.stack import Client, GraphQLError, create_network

LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")
SKEW = timedelta(seconds=5)  # what a stamp may be ahead of the real time
REMINDERS = ("commitment.due_soon", "commitment.overdue", "checkin.due")
# Due dates, hours ahead: due soon now (12, 30), overdue a day on (12), due soon only a day
# on (60), never reminded (80).
DUE_IN_HOURS = (12, 30, 60, 80)
REGISTER = """mutation($i: RegisterOrganizationInput!) {
  registerOrganization(input: $i) { adminToken organization { id } } }"""


def faked_clock(stack: Stack, service: str) -> Path:
    """Preloads libfaketime into `service` (before the stack starts); answers the file whose
    offset ("+0", "-10m", "+1d") it reads on every call."""
    if not LIBFAKETIME.exists():
        raise RuntimeError(f"{LIBFAKETIME} is missing: apt-get install faketime")
    offset = stack.settings.data_dir / f"{service}.faketime"
    offset.write_text("+0\n")
    stack.components[service].env.update(
        {
            "LD_PRELOAD": str(LIBFAKETIME),
            "FAKETIME_TIMESTAMP_FILE": str(offset),
            "FAKETIME_NO_CACHE": "1",
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        }
    )
    return offset


def partnerships(stack: Stack, pairs: int = 3) -> list[tuple[str, str, Client]]:
    """Partnerships (id, an organization in it, its admin), each with commitments due at
    DUE_IN_HOURS."""
    network = create_network(stack, name="Clock Network")
    operator = Client(stack.graphql_url, network["operatorToken"])
    made: list[tuple[str, str, Client]] = []
    for i in range(pairs):
        orgs = []
        for j in range(2):
            body = {
                "networkId": network["networkId"],
                "name": f"Clock org {i}-{j}",
                "mission": "Food pantry and tutoring",
                "admin": {"name": "Clock Admin", "email": f"clock{i}{j}@example.org"},
            }
            answer = operator.data(REGISTER, {"i": body})["registerOrganization"]
            orgs.append((answer["organization"]["id"], operator.as_(answer["adminToken"])))
        (first, admin), (second, _) = orgs
        # formed once commitments has both profiles (events, so a while on a busy machine)
        body = {"name": f"Clock partnership {i}", "organizationIds": [first, second]}
        pid = patiently(admin, FORM, body)["formPartnership"]["id"]
        made.append((pid, first, admin))
        for hours in DUE_IN_HOURS:
            commit(admin, pid, first, hours)
    return made


def patiently(client: Client, document: str, body: dict[str, Any]) -> dict[str, Any]:
    """The answer's data, sending again while the answer is retryable (two minutes at most;
    a mutation here is idempotent by its Idempotency-Key)."""
    key = uuid.uuid4().hex
    give_up = time.monotonic() + 120
    while True:
        answer = client.execute(document, {"i": body}, headers={"Idempotency-Key": key})
        if not answer.get("errors") or not retryable(answer) or time.monotonic() > give_up:
            break
        time.sleep(1.0)
    if answer.get("errors"):
        raise GraphQLError(answer["errors"])
    data: dict[str, Any] = answer["data"]
    return data


def commit(admin: Client, pid: str, org: str, hours: float) -> str:
    due = datetime.now(UTC) + timedelta(hours=hours)
    body = {"partnershipId": pid, "ownerOrganizationId": org, "title": f"Due in {hours} h"}
    made: str = patiently(admin, COMMIT, {**body, "dueAt": due.isoformat()})["makeCommitment"]["id"]
    return made


def partnership_writes(drill: Drill, made: list[tuple[str, str, Client]], tag: str) -> None:
    """A check-in (held an hour ago by the true clock), and a commitment made and done, per
    partnership: these move its health, so the service stamps health points by its clock."""
    for pid, org, admin in made:
        held = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        try:
            patiently(admin, CHECK_IN, {"partnershipId": pid, "heldAt": held, "updates": [tag]})
        except GraphQLError as error:
            drill.note(f"check-in {tag} refused: {error}")
        done = commit(admin, pid, org, 40)
        answer = admin.execute(UPDATE, {"id": done, "s": "DONE"})
        if answer.get("errors"):
            drill.note(f"commitment done {tag} refused: {answer['errors'][0].get('message')}")


def step_clock(
    service: ServiceName, offset: Path, steps: list[tuple[str, float]], made: list[Any]
) -> Any:
    """The fault: partnerships written, then each (offset, seconds) in turn, writing them
    meanwhile; then the true time again, and the service killed and started again by the
    runner (a new relay must take the lease over), and partnerships written once more."""

    def fault(drill: Drill) -> None:
        partnership_writes(drill, made, "before the step")
        for spec, seconds in steps:
            offset.write_text(f"{spec}\n")
            drill.note(f"clock {spec} for {seconds:.0f} s")
            time.sleep(1.0)
            partnership_writes(drill, made, f"clock {spec}")
            time.sleep(max(0.0, seconds - 1.0))
        offset.write_text("+0\n")
        drill.restored_at = time.monotonic()
        time.sleep(3.0)
        partnership_writes(drill, made, "clock +0 again")
        signal_component(drill.stack, service, signal.SIGKILL)
        drill.note(f"{service} killed after the clock came back")
        time.sleep(2.0)
        partnership_writes(drill, made, "after the restart")

    return fault


def inspect_commitments(drill: Drill, ids: list[str]) -> dict[str, int]:
    """Duplicate reminders, future stamps and the relay's state in commitments' database."""
    settings = drill.stack.settings
    real = datetime.now(UTC).replace(tzinfo=None) + SKEW  # the store keeps naive UTC
    with MongoClient[dict[str, Any]](settings.mongo_url) as mongo:
        db = mongo[settings.database_name("commitments")]
        events = list(
            db["outbox"].find({"topic": {"$in": list(REMINDERS)}}, {"topic": 1, "key": 1})
        )
        per_item = Counter((e["topic"], e["key"]) for e in events)
        future_points = db["health_history"].count_documents(
            {"partnership_id": {"$in": ids}, "at": {"$gt": real}}
        )
        points = db["health_history"].count_documents({"partnership_id": {"$in": ids}})
        # in the order stored: with a filter the store walks an index, so none here
        stored = db["health_history"].find({}, {"partnership_id": 1, "at": 1}).sort("$natural", 1)
        mine = [(d["partnership_id"], d["at"]) for d in stored if d["partnership_id"] in ids]
        out_of_order = disordered(mine)
        future_claims = db["reminders"].count_documents({"sent_at": {"$gt": real}})
        pending = db["outbox"].count_documents({"sent_at": None})
        lease = db["outbox_lease"].find_one({"_id": "relay"}) or {}
        due = {d["_id"]: d["due_at"] for d in db["commitments"].find({}, {"due_at": 1})}
    until = float(lease.get("until", 0))
    lease_ahead = (until / 1000 if until > 1e11 else until) - time.time()  # ms, or s before
    found = {
        "reminders": len(events),
        "reminders not yet due": early(per_item, due, settings.commitment_due_soon_hours),
        "duplicate reminders": sum(n - 1 for n in per_item.values() if n > 1),
        "health points": points,
        "health points in the future": future_points,
        "health points dated before an earlier one": out_of_order,
        "reminder records in the future": future_claims,
        "events never published": pending,
    }
    drill.note(
        "commitments: "
        + ", ".join(f"{k} {v}" for k, v in found.items())
        + f"; by kind {dict(Counter(t for t, _ in per_item.elements()))}"
        + f"; relay lease expires {lease_ahead:+.0f} s from the real time"
    )
    found["lease ahead s"] = round(lease_ahead)
    return found


def early(sent: Counter[tuple[str, str]], due: dict[str, datetime], due_soon_hours: float) -> int:
    """Commitment reminders sent before their time by the true clock: overdue before the due
    date, due soon before its window."""
    now = datetime.now(UTC).replace(tzinfo=None)
    window = timedelta(hours=due_soon_hours)
    starts = {"commitment.overdue": timedelta(0), "commitment.due_soon": window}
    return sum(
        1
        for kind, item in sent
        if kind in starts and item in due and due[item] - starts[kind] > now
    )


def disordered(points: list[tuple[str, datetime]]) -> int:
    """Points (in the order they were stored) dated before a point stored earlier for the same
    partnership: a history that runs backwards."""
    latest: dict[str, datetime] = {}
    found = 0
    for pid, at in points:
        if pid in latest and at < latest[pid]:
            found += 1
        latest[pid] = max(at, latest.get(pid, at))
    return found


def wait_published(drill: Drill, service: ServiceName, seconds: float = 60.0) -> None:
    settings = drill.stack.settings
    give_up = time.monotonic() + seconds
    with MongoClient[dict[str, Any]](settings.mongo_url) as mongo:
        outbox = mongo[settings.database_name(service)]["outbox"]
        while outbox.count_documents({"sent_at": None}) and time.monotonic() < give_up:
            time.sleep(0.5)


def clock_drill(service: ServiceName, steps: list[tuple[str, float]]) -> DrillRun:
    def run(name: str, options: Options) -> tuple[Row, list[str]]:
        offsets: list[Path] = []

        def prepare(stack: Stack) -> list[str]:
            offsets.append(faked_clock(stack, service))
            return []

        with supervised_stack(
            name, options, prepare=prepare, scheduler_interval_seconds=1.0
        ) as drill:
            made = partnerships(drill.stack) if service == "commitments" else []
            outcome = load(drill, step_clock(service, offsets[0], steps, made))
            row = audit(drill, outcome)
            restarts = len(drill.stack.components[service].restarts)
            drill.note(f"{service} restarts: {restarts}")
            if service == "commitments":
                wait_published(drill, service)
                found = inspect_commitments(drill, [pid for pid, _, _ in made])
                bad = found["duplicate reminders"] + found["health points in the future"]
                bad += found["health points dated before an earlier one"]
                bad += found["reminders not yet due"]
                bad += found["reminder records in the future"] + found["events never published"]
                row["duplicated"] = row["duplicated"] + found["duplicate reminders"]
                row["clock faults"] = bad
            else:
                wait_published(drill, service)
                with MongoClient[dict[str, Any]](drill.stack.settings.mongo_url) as mongo:
                    db = mongo[drill.stack.settings.database_name(service)]
                    pending = db["outbox"].count_documents({"sent_at": None})
                drill.note(f"{service}: {pending} events never published")
                row["clock faults"] = pending
            return row, drill.notes

    return run


# Intake's and commitments' clocks; the load runs 18 s, the fault a third of the way in.
BACK = [("-10m", 10.0)]
FORWARD = [("+1d", 10.0)]
DRILLS: dict[str, DrillRun] = {
    "commitments-clock-back-10min": clock_drill("commitments", BACK),
    "commitments-clock-forward-1day": clock_drill("commitments", FORWARD),
    "intake-clock-back-10min": clock_drill("intake", BACK),
}
