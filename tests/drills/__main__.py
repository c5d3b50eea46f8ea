"""Fault drills (`make drills`): each drill starts an embedded stack of its own under the
runner's supervision, registers organizations through GraphQL at a steady rate, does its
damage a third of the way in, waits for the stack to settle, and audits every request:

- accepted: answered with the organization;
- effects: accepted registrations with exactly one effect of each kind downstream (a welcome
  and an operator note in notifications, a profile in matching and in commitments);
- lost: accepted, with an effect missing; duplicated: an effect more than once;
- told-failed-but-written: answered with an error, yet the organization exists;
- recovery s: from the damage to the first answer accepted for a request sent after it.

The client retries as the README says: a refused connection or an answer marked retryable is
sent again with the same Idempotency-Key, for up to a minute.

    python -m tests.drills [--rate 5] [--seconds 18] [--only broker-kill,...]"""

from __future__ import annotations

import argparse
import os
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from pymongo import MongoClient
from rich.console import Console
from rich.table import Table

from deploy.stack import Stack
from tests.support.audit import duplicated, effects, missing
from tests.support.stack import Client, create_network, stack_settings

REGISTER = """mutation($i: RegisterOrganizationInput!) {
  registerOrganization(input: $i) { organization { id name } } }"""
console = Console()
RETRY_PATIENCE = 60.0  # seconds a client keeps retrying a retryable failure


@dataclass
class Outcome:
    network_id: str
    sent: int = 0
    accepted: dict[str, str] = field(default_factory=dict)  # name -> organization id
    refused: set[str] = field(default_factory=set)  # names answered with an error
    first_accepted_after_fault: float | None = None
    fault_at: float | None = None


def signal_component(stack: Stack, name: str, sig: signal.Signals) -> None:
    process = stack.components[name].process
    assert process is not None
    os.killpg(process.pid, sig)


def pause(stack: Stack, name: str, seconds: float) -> None:
    signal_component(stack, name, signal.SIGSTOP)
    threading.Timer(seconds, signal_component, (stack, name, signal.SIGCONT)).start()


def poison_every_topic(stack: Stack) -> None:
    import asyncio

    from aiokafka import AIOKafkaProducer

    from shared.contracts import EVENT_TYPES

    async def send() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=stack.settings.kafka_bootstrap)
        await producer.start()
        try:
            for topic in EVENT_TYPES:
                await producer.send_and_wait(topic, b'{"poison": ', key=b"drill")
        finally:
            await producer.stop()

    asyncio.run(send())


Fault = Callable[[Stack], None]


def kill(name: str, sig: signal.Signals = signal.SIGKILL) -> Fault:
    return lambda stack: signal_component(stack, name, sig)


DRILLS: dict[str, Fault | None] = {
    "baseline": None,
    **{f"{s}-kill": kill(s) for s in ("gateway", "intake", "matching", "commitments")},
    "notifications-kill": kill("notifications"),
    "broker-kill": kill("broker"),
    "store-kill": kill("mongo"),
    "consumer-sigstop-30s": lambda stack: pause(stack, "notifications", 30.0),
    "poison-every-topic": poison_every_topic,
    "sigterm-during-load": kill("matching", signal.SIGTERM),
}


@contextmanager
def supervised_stack(name: str) -> Iterator[Stack]:
    with (
        tempfile.TemporaryDirectory(prefix=f"drill-{name}-") as data_dir,
        Stack(stack_settings(Path(data_dir)), report=lambda line: None) as stack,
    ):
        stop = threading.Event()

        def supervise() -> None:
            while not stop.is_set():
                try:
                    stack.supervise()
                except Exception as error:  # a crash loop: the drill shows it as lost
                    console.print(f"[red]{name}: {error}[/]")
                    return
                time.sleep(0.2)

        supervisor = threading.Thread(target=supervise, daemon=True)
        supervisor.start()
        try:
            yield stack
        finally:
            stop.set()
            supervisor.join()


def send_as_a_client_should(
    client: Client, body: dict[str, Any], key: str, patience: float = RETRY_PATIENCE
) -> dict[str, Any] | None:
    """As the README tells clients: a refused connection, or an answer marked retryable, is
    sent again with the same Idempotency-Key, for a while; answers the data or None."""
    give_up = time.monotonic() + patience
    while True:
        try:
            answer = client.execute(REGISTER, {"i": body}, headers={"Idempotency-Key": key})
        except httpx.HTTPError:
            answer = {"errors": [{"extensions": {"retryable": True}}]}
        errors = answer.get("errors") or []
        if not errors and answer.get("data"):
            data: dict[str, Any] = answer["data"]
            return data
        retryable = all((e.get("extensions") or {}).get("retryable") for e in errors)
        if not retryable or time.monotonic() > give_up:
            return None
        time.sleep(0.5)


def load(stack: Stack, fault: Fault | None, rate: float, seconds: float) -> Outcome:
    network = create_network(stack)
    operator = Client(stack.graphql_url, network["operatorToken"])
    outcome = Outcome(network["networkId"])
    count = int(rate * seconds)
    began = time.monotonic()

    def register(i: int) -> None:
        time.sleep(max(0.0, i / rate - (time.monotonic() - began)))
        if fault is not None and i == count // 3:
            outcome.fault_at = time.monotonic()
            fault(stack)
        sent_at = time.monotonic()
        name = f"Drill org {i}"
        body = {
            "networkId": network["networkId"],
            "name": name,
            "mission": "After-school tutoring and meals",
            "admin": {"name": "Drill Admin", "email": f"drill{i}@example.org"},
        }
        outcome.sent += 1
        answer = send_as_a_client_should(operator, body, f"{network['networkId']}-{i}")
        if answer is None:
            outcome.refused.add(name)
            return
        outcome.accepted[name] = answer["registerOrganization"]["organization"]["id"]
        answered_at = time.monotonic()
        after_fault = outcome.fault_at is not None and sent_at >= outcome.fault_at
        if after_fault and outcome.first_accepted_after_fault is None:
            outcome.first_accepted_after_fault = answered_at

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(register, range(count)))
    return outcome


def written_names(stack: Stack, network_id: str) -> set[str]:
    with MongoClient(stack.settings.mongo_url) as mongo:
        organizations = mongo[stack.settings.database_name("intake")]["organizations"]
        return {d["name"] for d in organizations.find({"network_id": network_id}, {"name": 1})}


def audit(stack: Stack, outcome: Outcome, settle: float) -> dict[str, Any]:
    ids = list(outcome.accepted.values())
    deadline = time.monotonic() + settle
    while True:
        found = effects(stack, ids)
        lost = missing(found, ids)
        if not lost or time.monotonic() > deadline:
            break
        time.sleep(1.0)
    twice = duplicated(found, ids)
    written = written_names(stack, outcome.network_id)
    recovery = (
        outcome.first_accepted_after_fault - outcome.fault_at
        if outcome.first_accepted_after_fault and outcome.fault_at
        else None
    )
    return {
        "sent": outcome.sent,
        "accepted": len(ids),
        "effects": len(ids) - len(lost),
        "lost": len(lost),
        "duplicated": len(twice),
        "told-failed-but-written": len(outcome.refused & written),
        "recovery s": f"{recovery:.1f}" if recovery is not None else "-",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=18.0)
    parser.add_argument("--settle", type=float, default=120.0)
    parser.add_argument("--only", default="", help="comma-separated drill names")
    args = parser.parse_args()
    chosen = [d for d in DRILLS if not args.only or d in args.only.split(",")]
    table = Table(title="Fault drills")
    columns = ["drill", "sent", "accepted", "effects", "lost", "duplicated"]
    for column in [*columns, "told-failed-but-written", "recovery s"]:
        table.add_column(column)
    failed = False
    for name in chosen:
        console.print(f"[bold]{name}[/]: starting a stack of its own …")
        with supervised_stack(name) as stack:
            outcome = load(stack, DRILLS[name], args.rate, args.seconds)
            row = audit(stack, outcome, args.settle)
        console.print(f"  {row}")
        bad = row["lost"] or row["duplicated"] or row["told-failed-but-written"]
        failed |= bool(bad)
        table.add_row(name, *(str(v) for v in row.values()), style="red" if bad else None)
    console.print(table)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
