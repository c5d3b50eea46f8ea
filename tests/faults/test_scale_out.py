"""Scale-out on one embedded broker and store: a second replica of every consuming service
(matching, commitments, notifications), started as a separate process on a port of its own
with the stack's settings. Each service is one Kafka consumer group over all its topics (the
group id is the service name), and its topics have four partitions here.

- The group has both replicas as members and gives each an equal share of the partitions;
  under load each replica handles a share of the registrations, on its own partitions only.
- Under load nothing is lost or duplicated downstream (the audit of the kill tests).
- A replica killed with SIGKILL: once the broker has missed its heartbeats for the session
  timeout, the survivor is given its partitions, and the registrations sent meanwhile still
  have exactly one effect each.

Where it is read from: the broker's DescribeGroups for the members (the embedded broker,
Tansu 0.6, answers with member ids but without their assignments); each replica's own log
for its assignment (aiokafka logs "Setting newly assigned partitions ... for group ..." at
INFO); each replica's own span file for the messages it processed (a replica's data_dir only
decides where its spans go). The measured shares and take-over times are printed
(`pytest -s`); deploy/k8s/README.md quotes them."""

from __future__ import annotations

import ast
import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from deploy.stack import Stack, _die_with_parent, settings_env
from shared.contracts.subscribers import lane_group
from shared.settings import ServiceName
from tests.support import http
from tests.support.audit import duplicated, effects, missing
from tests.support.organizations import REGISTER, registration
from tests.support.stack import Client, create_network, free_port, stack_settings
from tests.support.wait import eventually

# The module's stack starts in the first test and stops in the last: room for both.
pytestmark = pytest.mark.timeout(600)

SCALED: tuple[ServiceName, ...] = ("matching", "commitments", "notifications")
PARTITIONS = 4  # an even count: each of two replicas gets half of every topic's partitions
REGISTERED = "organization.registered"  # read by all three groups; keyed by organization id
# The consumers' group session (aiokafka's defaults, which shared/consumer.py keeps): a member
# that sent no heartbeat for SESSION_TIMEOUT is dropped; members heartbeat every HEARTBEAT.
SESSION_TIMEOUT = 10.0
HEARTBEAT = 3.0
# The broker notices a dead member when the survivor heartbeats after the dead one's session
# has run out, so at most SESSION_TIMEOUT + HEARTBEAT after the kill; the embedded broker
# (Tansu 0.6) then holds the survivor's rejoin for about five seconds while the group
# re-forms, before the survivor is given every partition.
NOTICE_LIMIT = SESSION_TIMEOUT + HEARTBEAT + 1.0
TAKEOVER_LIMIT = NOTICE_LIMIT + 8.0
REPLICAS = ("first", "second")  # first: the stack's process; second: the one started here

Partition = tuple[str, int]  # (topic, partition)
Processed = set[tuple[str, int]]  # (key, partition) of messages a replica processed


@dataclass
class Replica:
    """One process of a service: its log and its span directory."""

    log_path: Path
    trace_dir: Path
    process: subprocess.Popen[bytes] | None = None  # only for the replicas started here


@dataclass
class Scaled:
    stack: Stack
    replicas: dict[ServiceName, dict[str, Replica]]  # service -> "first"/"second" -> replica


def launch_replica(stack: Stack, service: ServiceName, data_dir: Path) -> tuple[Replica, str]:
    """Starts another process of `service` with the stack's settings on a free port, writing
    its spans under its own data directory; answers it and its URL."""
    port = free_port()
    env = {
        **os.environ,
        **settings_env(stack.settings),
        f"COMMONWEAVE_{service.upper()}_PORT": str(port),
        "COMMONWEAVE_DATA_DIR": str(data_dir),
        "PYTHONUNBUFFERED": "1",
    }
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / f"{service}.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", f"services.{service}"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
    return Replica(log_path, data_dir / "traces", process), f"http://127.0.0.1:{port}"


def ready(url: str) -> bool:
    try:
        # started, not only ready: its consumer group joined too (shared/health.py)
        response = http.get(f"{url}/health/ready", timeout=5)
        return response.status_code == 200 and response.json()["status"] == "ok"
    except (httpx.HTTPError, ValueError):
        return False


# --- the groups: members from the broker, assignments from each replica's log ------------


def members(stack: Stack) -> dict[str, tuple[str, int]]:
    """Each scaled service's group: its state and its number of members (DescribeGroups).
    One group per request: aiokafka 0.14 reads a DescribeGroups v3 answer with the v2 schema,
    which only works for a single group (its last field is then left unread)."""

    async def run() -> dict[str, tuple[str, int]]:
        admin = AIOKafkaAdminClient(bootstrap_servers=stack.settings.kafka_bootstrap)
        await admin.start()
        found = {}
        try:
            for name in SCALED:
                for response in await admin.describe_consumer_groups([name]):
                    for (
                        error_code,
                        group_id,
                        state,
                        _type,
                        _protocol,
                        group_members,
                        *_,
                    ) in response.groups:
                        assert error_code == 0, f"DescribeGroups {group_id}: error {error_code}"
                        found[group_id] = (state, len(group_members))
        finally:
            await admin.close()
        return found

    return asyncio.run(run())


REBALANCE = re.compile(
    r"^(Revoking previously|Setting newly) assigned partitions (.*) for group (\S+)$"
)
TOPIC_PARTITION = re.compile(r"TopicPartition\(topic='([^']+)', partition=(\d+)\)")


def rebalances(
    replica: Replica, group: str, kind: str = "Setting newly"
) -> list[tuple[float, frozenset[Partition]]]:
    """Every assignment the replica's consumer was given (or, with kind="Revoking
    previously", every revocation), with its time in epoch seconds."""
    found = []
    for line in replica.log_path.read_text(errors="replace").splitlines():
        try:  # the services log JSON lines (shared/logs.py)
            entry = json.loads(line)
        except ValueError:
            continue
        matched = REBALANCE.match(entry.get("message", "")) if isinstance(entry, dict) else None
        if matched and matched[1] == kind and matched[3] == group:
            at = datetime.fromisoformat(entry["time"]).timestamp()
            parts = frozenset((t, int(p)) for t, p in TOPIC_PARTITION.findall(matched[2]))
            found.append((at, parts))
    return found


def current(replica: Replica, group: str) -> frozenset[Partition]:
    given = rebalances(replica, group)
    return given[-1][1] if given else frozenset()


def every_partition(scaled: Scaled, service: ServiceName) -> frozenset[Partition]:
    """The group's whole subscription: what the first replica was given while it was alone
    (the stack was up before the second replica started)."""
    return rebalances(scaled.replicas[service]["first"], service)[0][1]


def split_evenly(scaled: Scaled, service: ServiceName) -> bool:
    first, second = (current(scaled.replicas[service][r], service) for r in REPLICAS)
    whole = every_partition(scaled, service)
    return (
        bool(first) and not first & second and first | second == whole and len(first) == len(second)
    )


# --- what each replica processed, from its own span file ---------------------------------


def _text(value: object) -> str:
    # The Kafka key is bytes in the span's attributes; the file exporter writes it as "b'...'".
    if isinstance(value, str) and value[:2] in ("b'", 'b"'):
        decoded = ast.literal_eval(value)
        return decoded.decode() if isinstance(decoded, bytes) else str(decoded)
    return str(value)


def processed(replica: Replica, service: ServiceName, keys: set[str]) -> Processed:
    """(key, partition) of every `organization.registered` message with one of `keys` that
    the replica's consumer processed."""
    path = replica.trace_dir / f"{service}.jsonl"
    found: Processed = set()
    if not path.exists():
        return found
    for line in path.read_text().splitlines():
        try:
            span = json.loads(line)
        except ValueError:  # a line being written
            continue
        if span["kind"] == "CONSUMER" and span["name"] == f"{REGISTERED} process":
            attributes = span["attributes"]
            key = _text(attributes.get("messaging.kafka.message.key"))
            if key in keys:
                found.add((key, int(attributes["messaging.destination.partition.id"])))
    return found


def all_processed(scaled: Scaled, service: ServiceName, keys: set[str]) -> dict[str, Processed]:
    """Each replica's share of `keys`, once every key is in one of them (spans reach the file
    in batches)."""
    shares = {r: processed(scaled.replicas[service][r], service, keys) for r in REPLICAS}
    return shares if {k for share in shares.values() for k, _ in share} == keys else {}


# --- the stack ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scaled]:
    data_dir: Path = tmp_path_factory.mktemp("scale")
    settings = stack_settings(data_dir, topic_partitions=PARTITIONS)
    with Stack(settings, report=lambda line: None) as stack:
        started = {s: launch_replica(stack, s, data_dir / f"{s}-2") for s in SCALED}
        replicas = {
            s: {
                "first": Replica(stack.components[s].log_path, settings.trace_dir),
                "second": started[s][0],
            }
            for s in SCALED
        }
        scaled = Scaled(stack, replicas)
        try:
            for _, url in started.values():
                eventually(partial(ready, url), timeout=120, interval=0.5)
            # The groups have rebalanced: both replicas are members, each with its share.
            eventually(
                lambda: (
                    all(split_evenly(scaled, s) for s in SCALED)
                    and all(m == ("Stable", 2) for m in members(stack).values())
                ),
                timeout=60,
                interval=0.5,
            )
            yield scaled
        finally:
            for replica, _ in started.values():
                assert replica.process is not None
                if replica.process.poll() is None:
                    os.killpg(replica.process.pid, signal.SIGTERM)
                    replica.process.wait(30)


def register(
    stack: Stack, label: str, count: int, rate: float, at: Callable[[int], None] = lambda i: None
) -> list[str]:
    """Registers `count` organizations through GraphQL at `rate` per second (calling `at(i)`
    before the i-th); answers the ids of those accepted."""
    network = create_network(stack, name=f"Scale {label}")
    operator = Client(stack.graphql_url, network["operatorToken"])
    began = time.monotonic()

    def one(i: int) -> str | None:
        time.sleep(max(0.0, i / rate - (time.monotonic() - began)))
        at(i)
        body = operator.execute(
            REGISTER,
            {"input": registration(network["networkId"], f"{label} org {i}", f"s{i}@x.org")},
            headers={"Idempotency-Key": f"{network['networkId']}-{i}"},
        )
        if body.get("errors"):
            return None
        found: str = body["data"]["registerOrganization"]["organization"]["id"]
        return found

    with ThreadPoolExecutor(8) as pool:
        return [org for org in pool.map(one, range(count)) if org]


def exactly_once(stack: Stack, accepted: list[str]) -> bool:
    found = effects(stack, accepted)
    return not missing(found, accepted) and not duplicated(found, accepted)


# --- the tests ------------------------------------------------------------------------------


def test_each_replica_is_a_member_with_an_equal_share_of_the_partitions(scaled: Scaled) -> None:
    assert members(scaled.stack) == {s: ("Stable", 2) for s in SCALED}
    for service in SCALED:
        assert split_evenly(scaled, service)
        whole = every_partition(scaled, service)
        shares = [len(current(scaled.replicas[service][r], service)) for r in REPLICAS]
        print(
            f"\n{service}: 2 members, {len(whole)} partitions "
            f"({len(whole) // PARTITIONS} topics x {PARTITIONS}), {shares[0]} + {shares[1]}"
        )


def test_under_load_each_replica_handles_its_share_and_each_effect_lands_once(
    scaled: Scaled,
) -> None:
    count = 60
    accepted = register(scaled.stack, "load", count, rate=10.0)
    assert len(accepted) == count, f"{len(accepted)} of {count} accepted"
    assert eventually(lambda: exactly_once(scaled.stack, accepted), timeout=90), effects(
        scaled.stack, accepted
    )
    keys = set(accepted)
    for service in SCALED:
        shares = eventually(partial(all_processed, scaled, service, keys), timeout=30)
        handled = {r: {k for k, _ in shares[r]} for r in REPLICAS}
        on = {r: sorted({p for _, p in shares[r]}) for r in REPLICAS}
        print(
            f"\n{service}: {count} registrations, first replica {len(handled['first'])} "
            f"(partitions {on['first']}), second {len(handled['second'])} "
            f"(partitions {on['second']})"
        )
        assert not handled["first"] & handled["second"], "a message was processed twice"
        for r in REPLICAS:  # each on its own partitions only
            lane = lane_group(service, REGISTERED)  # notifications reads it in its urgent lane
            mine = {p for t, p in current(scaled.replicas[service][r], lane) if t == REGISTERED}
            assert set(on[r]) <= mine, (r, on[r], mine)
        # Keys spread over four partitions, two per replica: each gets about half.
        assert min(len(h) for h in handled.values()) >= count // 6, handled


def test_a_killed_replicas_partitions_move_to_the_survivor(scaled: Scaled) -> None:
    stack = scaled.stack
    count, rate, kill_at = 60, 5.0, 15
    killed_at: list[float] = []

    def kill(i: int) -> None:
        if i == kill_at:
            for service in SCALED:
                process = scaled.replicas[service]["second"].process
                assert process is not None
                os.killpg(process.pid, signal.SIGKILL)
            killed_at.append(time.time())

    accepted = register(stack, "kill", count, rate, at=kill)
    last_sent = time.monotonic()
    assert len(accepted) == count, f"{len(accepted)} of {count} accepted"

    def noticed(service: ServiceName) -> float | None:
        """Seconds from the kill until the survivor was told to rejoin (it revokes first)."""
        survivor = scaled.replicas[service]["first"]
        after = [at for at, _ in rebalances(survivor, service, "Revoking previously")]
        return next((at - killed_at[0] for at in after if at >= killed_at[0]), None)

    def taken_over(service: ServiceName) -> float | None:
        """Seconds from the kill until the survivor was given every partition."""
        whole = every_partition(scaled, service)
        for at, parts in rebalances(scaled.replicas[service]["first"], service):
            if at >= killed_at[0] and parts == whole:
                return at - killed_at[0]
        return None

    takeover = {s: eventually(partial(taken_over, s), timeout=60, interval=0.5) for s in SCALED}
    notice = {s: noticed(s) or float("nan") for s in SCALED}
    print(
        "\nafter SIGKILL, the survivor was told to rejoin / given every partition: "
        + ", ".join(f"{s} {notice[s]:.1f}s / {takeover[s]:.1f}s" for s in SCALED)
        + f" (session timeout {SESSION_TIMEOUT:.0f}s, heartbeat {HEARTBEAT:.0f}s)"
    )
    assert max(notice.values()) <= NOTICE_LIMIT, notice
    assert max(takeover.values()) <= TAKEOVER_LIMIT, takeover
    assert eventually(lambda: members(stack) == {s: ("Stable", 1) for s in SCALED}, timeout=30)

    assert eventually(lambda: exactly_once(stack, accepted), timeout=180), effects(stack, accepted)
    print(
        f"all {count} registrations had each effect exactly once "
        f"{time.monotonic() - last_sent:.1f}s after the last was sent"
    )
    # The survivor processed registrations on every partition: its own and the killed one's.
    keys = set(accepted)
    for service in SCALED:
        survivor = scaled.replicas[service]["first"]
        assert eventually(partial(on_every_partition, survivor, service, keys), timeout=30)


def on_every_partition(replica: Replica, service: ServiceName, keys: set[str]) -> bool:
    return {p for _, p in processed(replica, service, keys)} == set(range(PARTITIONS))
