"""The drill "two replicas of every service at once": a second process of each service
(gateway, intake, matching, commitments, notifications), as tests/faults/test_scale_out.py
starts them: its own port, the stack's settings, its spans under a data directory of its own,
supervised by the runner like the first. The topics have four partitions, so each consumer
group splits them between its two members. The second gateway calls the second replicas of
the other services (a gateway reaches each service at one URL), and the load alternates
between the gateways, so both intakes take writes. A third of the way in, one replica of
each consumer service (the second) is killed with SIGKILL: its group gives the survivor its
partitions, and the runner starts it again."""

from __future__ import annotations

import json
import signal
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

from deploy.stack import Stack
from shared.settings import SERVICES
from tests.drills.faults import signal_component
from tests.drills.harness import Drill, Options, Row, audit, load, supervised_stack
from tests.support.stack import free_port

PARTITIONS = 4  # an even count: each of two replicas gets half of every topic's partitions
CONSUMERS = ("matching", "commitments", "notifications")
BACK_WITHIN = 120.0  # seconds the runner has to start the killed replicas again
SECOND = "-2"  # a second replica's component name: its service's, with this after it
# what each replica handled, from its spans: (service, span kind, span name)
WORK = [("intake", "SERVER", "POST /organizations")]
WORK += [(s, "CONSUMER", "organization.registered process") for s in CONSUMERS]


def replica_dir(stack: Stack) -> Path:
    return stack.settings.data_dir.resolve() / "replica-2"


def second_replicas(stack: Stack) -> list[str]:
    """Adds a second process of every service to the stack before it starts; answers the
    second gateway's GraphQL URL."""
    host = stack.settings.host
    ports = {service: free_port() for service in SERVICES}
    urls = {s: f"http://{host}:{ports[s]}" for s in SERVICES}
    for service in SERVICES:
        env = {
            f"COMMONWEAVE_{service.upper()}_PORT": str(ports[service]),
            "COMMONWEAVE_DATA_DIR": str(replica_dir(stack)),  # its spans apart
        }
        if service == "gateway":
            env |= {f"COMMONWEAVE_{s.upper()}_URL": urls[s] for s in SERVICES if s != service}
        first = stack.components[service]
        stack.components[service + SECOND] = replace(
            first,
            name=service + SECOND,
            port=ports[service],
            log_path=first.log_path.with_name(f"{service}{SECOND}.log"),
            health_url=f"{urls[service]}/health/ready",
            env=env,
            process=None,
            restarts=[],
        )
    return [f"{urls['gateway']}/graphql"]


def kill_a_replica_of_each_consumer(drill: Drill) -> None:
    """SIGKILL to the second replica of each consumer service; returns once the runner has
    started them again and they are ready (their groups have them as members again), or
    after BACK_WITHIN seconds."""
    stack = drill.stack
    killed = [stack.components[service + SECOND] for service in CONSUMERS]
    for replica in killed:
        signal_component(stack, replica.name, signal.SIGKILL)
    drill.note(f"SIGKILL to the second replica of {', '.join(CONSUMERS)}")
    began = time.monotonic()
    while time.monotonic() - began < BACK_WITHIN:
        if all(replica.restarts and stack._is_ready(replica) for replica in killed):
            drill.note(f"all three started again and ready {time.monotonic() - began:.1f} s later")
            return
        time.sleep(0.5)
    drill.note(f"not all started again and ready within {BACK_WITHIN:.0f} s")


def handled(trace_file: Path, kind: str, name: str) -> int:
    """Spans of `kind` and `name` in a replica's span file (those a killed process had not
    written yet are not there)."""
    if not trace_file.exists():
        return 0
    found: Counter[tuple[str, str]] = Counter()
    for line in trace_file.read_text(errors="replace").splitlines():
        try:
            span = json.loads(line)
        except ValueError:  # a line being written
            continue
        found[(span.get("kind"), span.get("name"))] += 1
    return found[(kind, name)]


def two_replicas(name: str, options: Options) -> tuple[Row, list[str]]:
    with supervised_stack(
        name, options, prepare=second_replicas, topic_partitions=PARTITIONS
    ) as drill:
        outcome = load(drill, kill_a_replica_of_each_consumer)
        row = audit(drill, outcome)
        dirs = [drill.stack.settings.trace_dir, replica_dir(drill.stack) / "traces"]
        shares = []
        for service, kind, span in WORK:
            first, second = (handled(d / f"{service}.jsonl", kind, span) for d in dirs)
            shares.append(f"{service} {first} + {second}")
        drill.note(f"handled by the first + the second replica: {', '.join(shares)}")
        return row, drill.notes
