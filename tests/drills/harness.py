"""What every fault drill shares: a supervised embedded stack of its own (optionally with the
broker behind the TCP proxy), a client that retries as the README says, the load, and the
audit of every request once the stack has settled."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from pymongo import MongoClient
from pymongo.errors import PyMongoError
from rich.console import Console

from deploy.stack import Stack, host_port
from tests.drills.proxy import Proxy
from tests.support.audit import EXPECTED, duplicated, effects, missing
from tests.support.stack import Client, create_network, free_port, stack_settings
from tests.support.supervision import supervised

REGISTER = """mutation($i: RegisterOrganizationInput!) {
  registerOrganization(input: $i) { organization { id name } } }"""
console = Console(width=None if sys.stdout.isatty() else 200)
RETRY_PATIENCE = 60.0  # seconds a client keeps retrying a retryable failure
# The audit waits `settle` seconds for effects, and longer while they keep arriving (a
# backlog after overload): until none has arrived for STALL seconds, `settle_cap` at most.
STALL = 60.0

Row = dict[str, Any]


@dataclass
class Options:
    rate: float = 5.0
    seconds: float = 18.0
    settle: float = 120.0
    outage: float = 60.0  # Kafka unreachable, and the overload
    fuzz_cases: int = 10_000
    fuzz_budget: float = 900.0  # seconds of fuzzing at most (room for 10,000 on a busy machine)
    settle_cap: float = 900.0  # seconds the audit waits for a backlog at most
    keep: bool = False  # keep each drill's data directory (logs, traces, the store)
    soak_minutes: float = 5.0  # the soak row of the drills (`make soak` runs an hour)
    soak_rate: float = 8.0  # operations a second: about a third of capacity


@dataclass
class Drill:
    """A running drill: its stack, the proxy in front of the broker (if any), and notes for
    the report under the table."""

    name: str
    stack: Stack
    options: Options
    proxy: Proxy | None = None
    notes: list[str] = field(default_factory=list)
    restored_at: float | None = None  # monotonic: when a fault of some duration ended
    settled_after: float = 0.0  # seconds the audit waited for the effects
    gateways: list[str] = field(default_factory=list)  # GraphQL URLs: the load takes turns

    def note(self, text: str) -> None:
        self.notes.append(text)
        console.print(f"  [dim]{self.name}: {text}[/]")


@dataclass
class Outcome:
    network_ids: list[str]
    sent: int = 0
    accepted: dict[str, str] = field(default_factory=dict)  # name -> organization id
    refused: set[str] = field(default_factory=set)  # names answered with an error
    last_errors: dict[str, str] = field(default_factory=dict)  # refused name -> its codes
    first_accepted_after_fault: float | None = None
    fault_at: float | None = None


Fault = Callable[[Drill], None]
# Adds components to a stack before it starts (more replicas); answers the GraphQL URLs of
# gateways it added
Prepare = Callable[[Stack], list[str]]


@contextmanager
def supervised_stack(
    name: str,
    options: Options,
    *,
    proxy: bool = False,
    prepare: Prepare | None = None,
    volume_mb: int | None = None,
    **overrides: Any,
) -> Iterator[Drill]:
    """A stack of its own under the runner's supervision (as `make run` does); with `proxy`,
    the broker listens on a port of its own and the services reach it through the proxy;
    `prepare` adds to it before it starts; with `volume_mb`, its data directory is a volume of
    that size of its own (a tmpfs), for drills that fill it."""
    with tempfile.TemporaryDirectory(prefix=f"drill-{name}-") as temporary:
        data_dir = (
            Path(tempfile.mkdtemp(prefix=f"drill-{name}-")) if options.keep else Path(temporary)
        )
        if options.keep:
            console.print(f"  [dim]{name}: data and logs in {data_dir}[/]")
        with ExitStack() as volume:
            if volume_mb is not None:
                volume.enter_context(tmpfs(data_dir, volume_mb))
                if options.keep:  # the volume goes with the drill: its logs stay beside it
                    kept = data_dir.with_name(f"{data_dir.name}-logs")
                    volume.callback(shutil.copytree, data_dir / "logs", kept, dirs_exist_ok=True)
                    console.print(f"  [dim]{name}: its logs will be kept in {kept}[/]")
            yield from _supervised(name, options, data_dir, proxy, prepare, overrides)


@contextmanager
def tmpfs(path: Path, size_mb: int) -> Iterator[None]:
    """A tmpfs of `size_mb` mounted on `path` (root only: `mount`); unmounted afterwards."""
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        raise RuntimeError(f"a {size_mb} MB tmpfs could not be mounted: {mounted.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _supervised(
    name: str,
    options: Options,
    data_dir: Path,
    proxy: bool,
    prepare: Prepare | None,
    overrides: dict[str, Any],
) -> Iterator[Drill]:
    settings = stack_settings(data_dir, **overrides)
    front = None
    listener = None
    if proxy:
        listener = f"127.0.0.1:{free_port()}"
        front = Proxy(host_port(settings.kafka_bootstrap, 9092), host_port(listener, 9092)).start()
    try:
        stack = Stack(settings, report=lambda line: None, broker_listener=listener)
        gateways = [stack.graphql_url, *(prepare(stack) if prepare else [])]
        with stack:
            drill = Drill(name, stack, options, front, gateways=gateways)

            def gave_up(error: Exception) -> None:  # a crash loop: the drill shows it as lost
                console.print(f"[red]{name}: {error}[/]")
                drill.note(f"supervision gave up: {error}")

            with supervised(stack, on_error=gave_up):
                yield drill
    finally:
        if front is not None:
            front.stop()


def registration(network_id: str, i: int) -> dict[str, Any]:
    return {
        "networkId": network_id,
        "name": f"Drill org {i}",
        "mission": "After-school tutoring and meals",
        "admin": {"name": "Drill Admin", "email": f"drill{i}@example.org"},
    }


def retryable(answer: dict[str, Any]) -> bool:
    errors = answer.get("errors") or []
    return bool(errors) and all((e.get("extensions") or {}).get("retryable") for e in errors)


def send_as_a_client_should(
    client: Client, body: dict[str, Any], key: str, patience: float = RETRY_PATIENCE
) -> dict[str, Any]:
    """As the README tells clients: a refused connection, or an answer marked retryable, is
    sent again with the same Idempotency-Key, for a while; answers the last answer."""
    give_up = time.monotonic() + patience
    while True:
        try:
            answer = client.execute(REGISTER, {"i": body}, headers={"Idempotency-Key": key})
        except httpx.HTTPError as error:
            answer = {"errors": [{"extensions": {"retryable": True, "code": type(error).__name__}}]}
        if not answer.get("errors") and answer.get("data"):
            return answer
        if not retryable(answer) or time.monotonic() > give_up:
            return answer
        time.sleep(0.5)


def load(drill: Drill, fault: Fault | None) -> Outcome:
    """Registrations at `rate` for `seconds`; the fault (in a thread of its own, so the load
    goes on) a third of the way in. Returns once every request has its final answer and the
    fault has run its course."""
    stack, rate = drill.stack, drill.options.rate
    network = create_network(stack)
    operators = [Client(url, network["operatorToken"]) for url in drill.gateways]
    outcome = Outcome([network["networkId"]])
    count = int(rate * drill.options.seconds)
    began = time.monotonic()
    faulting: list[threading.Thread] = []

    def register(i: int) -> None:
        time.sleep(max(0.0, i / rate - (time.monotonic() - began)))
        if fault is not None and i == count // 3:
            outcome.fault_at = time.monotonic()
            thread = threading.Thread(target=fault, args=(drill,), daemon=True)
            thread.start()
            faulting.append(thread)
        sent_at = time.monotonic()
        body = registration(network["networkId"], i)
        outcome.sent += 1
        operator = operators[i % len(operators)]  # through each gateway in turn
        answer = send_as_a_client_should(operator, body, f"{network['networkId']}-{i}")
        if answer.get("errors") or not answer.get("data"):
            outcome.refused.add(body["name"])
            codes = [(e.get("extensions") or {}).get("code", "?") for e in answer["errors"]]
            outcome.last_errors[body["name"]] = ",".join(codes)
            return
        organization = answer["data"]["registerOrganization"]["organization"]
        outcome.accepted[body["name"]] = organization["id"]
        answered_at = time.monotonic()
        after_fault = outcome.fault_at is not None and sent_at >= outcome.fault_at
        if after_fault and outcome.first_accepted_after_fault is None:
            outcome.first_accepted_after_fault = answered_at

    with ThreadPoolExecutor(64) as pool:
        list(pool.map(register, range(count)))
    for thread in faulting:
        thread.join()
    return outcome


def written(stack: Stack, network_ids: list[str]) -> dict[str, str]:
    """The organizations intake has stored in the networks: name -> id."""
    with MongoClient[dict[str, Any]](stack.settings.mongo_url) as mongo:
        organizations = mongo[stack.settings.database_name("intake")]["organizations"]
        query = {"network_id": {"$in": network_ids}}
        return {d["name"]: d["_id"] for d in organizations.find(query, {"name": 1})}


def audit(drill: Drill, outcome: Outcome) -> Row:
    """Waits up to `settle` for every accepted registration's effects, then counts. An
    accepted organization that intake no longer has is lost too."""
    stack = drill.stack
    ids = list(outcome.accepted.values())
    began = time.monotonic()
    deadline = began + drill.options.settle
    fewest = len(ids) + 1
    unreadable = False  # the store answered errors (it may still be recovering)
    while True:
        try:
            found = effects(stack, ids)
        except PyMongoError as error:  # the store is still recovering: not an answer yet
            if time.monotonic() > began + drill.options.settle_cap:
                raise
            if not unreadable:
                drill.note(f"the audit's first read failed ({error!r:.120}); reading again")
            unreadable = True
            time.sleep(2.0)
            continue
        lost = set(missing(found, ids))
        if len(lost) < fewest:  # still catching up: a backlog is not a loss
            fewest = len(lost)
            deadline = max(deadline, time.monotonic() + STALL)
        if not lost or time.monotonic() > min(deadline, began + drill.options.settle_cap):
            break
        time.sleep(1.0)
    drill.settled_after = time.monotonic() - began
    if drill.restored_at is not None and not lost:
        after = time.monotonic() - drill.restored_at
        drill.note(f"every effect in place {after:.1f} s after the fault ended")
    if lost:
        short = {
            place: sum(found[place].get(o, 0) < n for o in lost) for place, n in EXPECTED.items()
        }
        drill.note(f"lost, missing per place: {short}; e.g. {sorted(lost)[:3]}")
    twice = duplicated(found, ids)
    stored = written(stack, outcome.network_ids)
    if outcome.refused:
        drill.note(
            f"{len(outcome.refused)} refused after the client's retries "
            f"({len(outcome.refused & stored.keys())} of them written), by the last answer's "
            f"code: {Counter(outcome.last_errors.values())}"
        )
    vanished = set(ids) - set(stored.values())
    if vanished:
        drill.note(f"{len(vanished)} accepted organizations are gone from intake's store")
    recovery = (
        outcome.first_accepted_after_fault - outcome.fault_at
        if outcome.first_accepted_after_fault and outcome.fault_at
        else None
    )
    return {
        "sent": outcome.sent,
        "accepted": len(ids),
        "effects": len(ids) - len(lost | vanished),
        "lost": len(lost | vanished),
        "duplicated": len(twice),
        "told-failed-but-written": len(outcome.refused & stored.keys()),
        "recovery s": f"{recovery:.1f}" if recovery is not None else "-",
    }


def fault_drill(
    fault: Fault | None, *, proxy: bool = False, volume_mb: int | None = None, **overrides: Any
) -> DrillRun:
    def run(name: str, options: Options) -> tuple[Row, list[str]]:
        with supervised_stack(
            name, options, proxy=proxy, volume_mb=volume_mb, **overrides
        ) as drill:
            outcome = load(drill, fault)
            return audit(drill, outcome), drill.notes

    return run


DrillRun = Callable[[str, Options], tuple[Row, list[str]]]
