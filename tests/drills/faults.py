"""The faults: processes killed, paused or stopped, Kafka unreachable or muted, poison,
duplicate deliveries, and a service killed inside a transaction before a store restart."""

from __future__ import annotations

import asyncio
import os
import random
import resource
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from pymongo import MongoClient

from deploy.stack import Stack
from shared.settings import SERVICES
from tests.drills.harness import Drill, Fault
from tests.support import http


def signal_component(stack: Stack, name: str, sig: signal.Signals) -> None:
    process = stack.components[name].process
    assert process is not None
    os.killpg(process.pid, sig)


def kill(name: str, sig: signal.Signals = signal.SIGKILL) -> Fault:
    return lambda drill: signal_component(drill.stack, name, sig)


def pause(name: str, seconds: float) -> Fault:
    def fault(drill: Drill) -> None:
        signal_component(drill.stack, name, signal.SIGSTOP)
        time.sleep(seconds)
        signal_component(drill.stack, name, signal.SIGCONT)
        drill.restored_at = time.monotonic()

    return fault


def poison_every_topic(drill: Drill) -> None:
    from aiokafka import AIOKafkaProducer

    from shared.contracts import EVENT_TYPES

    async def send() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=drill.stack.settings.kafka_bootstrap)
        await producer.start()
        try:
            for topic in EVENT_TYPES:
                await producer.send_and_wait(topic, b'{"poison": ', key=b"drill")
        finally:
            await producer.stop()

    asyncio.run(send())


def kafka_unreachable(drill: Drill) -> None:
    """Every connection to the broker dropped and new ones refused, for `outage` seconds."""
    assert drill.proxy is not None
    seconds = drill.options.outage
    drill.proxy.cut()
    time.sleep(seconds)
    drill.proxy.restore()
    drill.restored_at = time.monotonic()
    drill.note(f"Kafka unreachable for {seconds:.0f} s (connections dropped, new ones refused)")


def outbox_pending(stack: Stack, service: str) -> int:
    with MongoClient[dict[str, Any]](stack.settings.mongo_url) as mongo:
        outbox = mongo[stack.settings.database_name(service)]["outbox"]  # type: ignore[arg-type]
        return outbox.count_documents({"sent_at": None})


def relay_killed_before_publish(drill: Drill) -> None:
    """Kafka muted (the broker takes the relay's produce requests but its acknowledgements
    are held back), then intake killed with SIGKILL once events of accepted registrations wait
    in its outbox; Kafka back once intake is dead. The runner starts intake again, and its
    relay sends what it had not marked sent (some of it the broker already has)."""
    assert drill.proxy is not None
    stack = drill.stack
    drill.proxy.mute()
    give_up = time.monotonic() + 30
    while (pending := outbox_pending(stack, "intake")) < 5 and time.monotonic() < give_up:
        time.sleep(0.2)
    signal_component(stack, "intake", signal.SIGKILL)
    drill.note(f"intake killed with {pending} events pending in its outbox")
    time.sleep(1.0)
    drill.proxy.restore()
    drill.restored_at = time.monotonic()


def duplicate_deliveries(share: float = 0.10) -> Fault:
    """From the fault on, one event in ten that a relay has published is marked pending
    again, so its relay publishes it a second time: consumers get it twice, at another
    offset, as after a producer retry or a relay that died before marking it sent."""

    def fault(drill: Drill) -> None:
        stack = drill.stack
        seen: set[str] = set()
        doubled = 0
        end = time.monotonic() + drill.options.seconds + 15
        with MongoClient[dict[str, Any]](stack.settings.mongo_url) as mongo:
            while time.monotonic() < end:
                for service in SERVICES:
                    outbox = mongo[stack.settings.database_name(service)]["outbox"]
                    for event in outbox.find({"sent_at": {"$ne": None}}, {"_id": 1}):
                        if event["_id"] in seen:
                            continue
                        seen.add(event["_id"])
                        if random.random() < share:
                            result = outbox.update_one(
                                {"_id": event["_id"], "sent_at": {"$ne": None}},
                                {"$set": {"sent_at": None}},
                            )
                            doubled += result.modified_count
                time.sleep(0.5)
        drill.note(f"{doubled} of {len(seen)} published events published again ({share:.0%})")

    return fault


def killed_in_transaction_then_store_restart(drill: Drill) -> None:
    """A writer of intake's database killed while it holds a transaction open, intake itself
    killed with SIGKILL under load (its requests inside their transactions), then, once the
    runner has started intake again, the document store killed and started again. Nothing
    accepted may vanish."""
    stack = drill.stack
    database = stack.settings.database_name("intake")
    holder = subprocess.Popen(
        [sys.executable, "-m", "tests.support.replica", stack.settings.mongo_url, database, "hold"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    held = holder.stdout.readline().strip() == "holding"
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    signal_component(stack, "intake", signal.SIGKILL)
    drill.note(
        f"a transaction holder {'killed holding' if held else 'did not hold'}; intake killed"
    )
    time.sleep(1.0)
    give_up = time.monotonic() + 30
    intake = stack.components["intake"]
    while not (intake.running and stack._is_ready(intake)) and time.monotonic() < give_up:
        time.sleep(0.2)
    time.sleep(2.0)  # intake back, writing again
    signal_component(stack, "mongo", signal.SIGKILL)
    drill.note("document store killed and started again by the runner")


def open_files(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def scarce_file_descriptors(name: str, headroom: int = 16, seconds: float = 20.0) -> Fault:
    """The service's limit on open files lowered to what it holds plus `headroom` (as
    `ulimit -n` would leave a busy process) for `seconds`, then given back: it must refuse
    what it cannot serve, clearly, and serve again once descriptors are back, with no crash
    loop."""

    def fault(drill: Drill) -> None:
        process = drill.stack.components[name].process
        assert process is not None
        original = resource.prlimit(process.pid, resource.RLIMIT_NOFILE)
        held = open_files(process.pid)
        resource.prlimit(process.pid, resource.RLIMIT_NOFILE, (held + headroom, original[1]))
        drill.note(
            f"{name}: open files limited to {held + headroom} (held {held}) for {seconds:.0f} s"
        )
        time.sleep(seconds)
        if drill.stack.components[name].process is process and process.poll() is None:
            resource.prlimit(process.pid, resource.RLIMIT_NOFILE, original)
        else:
            drill.note(f"{name} did not live through it: the runner started it again")
        drill.note(f"{name} restarts: {len(drill.stack.components[name].restarts)}")
        drill.restored_at = time.monotonic()

    return fault


def scarce_memory(name: str, headroom_mb: int = 4) -> Fault:
    """The service's address space capped just above what it maps now (`prlimit --as`): its
    next growth fails. It must fail clearly (MemoryError in its log), be started again by the
    runner if it cannot go on, and lose nothing."""

    def fault(drill: Drill) -> None:
        process = drill.stack.components[name].process
        assert process is not None
        status = Path(f"/proc/{process.pid}/status").read_text().splitlines()
        mapped_kb = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
        cap = (mapped_kb + headroom_mb * 1024) * 1024
        resource.prlimit(process.pid, resource.RLIMIT_AS, (cap, cap))
        drill.note(
            f"{name}: address space capped at {cap // 2**20} MB (mapped {mapped_kb // 1024} MB)"
        )
        give_up = time.monotonic() + drill.options.seconds
        while time.monotonic() < give_up and drill.stack.components[name].process is process:
            time.sleep(0.5)
        log = drill.stack.components[name].log_path.read_text(errors="replace")
        drill.note(
            f"{name}: {log.count('MemoryError')} MemoryError lines in its log, "
            f"{len(drill.stack.components[name].restarts)} restarts"
        )


def ready_status(stack: Stack, service: str) -> int:
    try:
        url = f"{stack.settings.url_of(service)}/health/ready"  # type: ignore[arg-type]
        return http.get(url, timeout=10).status_code
    except httpx.HTTPError:
        return 0


def broker_stopped_while_ready(drill: Drill) -> None:
    """The broker stopped (SIGSTOP) for `outage` seconds, the gateway's and intake's readiness
    asked every second meanwhile: both must stay ready (intake's writes wait in its outbox).
    Run with the runner's health restarts held off, so the broker stays stopped that long."""
    stack, seconds = drill.stack, drill.options.outage
    answers: Counter[str] = Counter()
    signal_component(stack, "broker", signal.SIGSTOP)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for service in ("gateway", "intake"):
            answers[f"{service} {ready_status(stack, service)}"] += 1
        time.sleep(1.0)
    signal_component(stack, "broker", signal.SIGCONT)
    drill.restored_at = time.monotonic()
    drill.note(f"broker stopped {seconds:.0f} s; readiness answers meanwhile: {dict(answers)}")


def jammed(name: str, seconds: float) -> Fault:
    """`name` stopped with SIGSTOP (a jammed process: its port still accepts connections) for
    up to `seconds`: the runner's health check must find it and restart it, with no person."""

    def fault(drill: Drill) -> None:
        component = drill.stack.components[name]
        restarts = len(component.restarts)
        signal_component(drill.stack, name, signal.SIGSTOP)
        began = time.monotonic()
        while len(component.restarts) == restarts and time.monotonic() - began < seconds:
            time.sleep(0.2)
        took = time.monotonic() - began
        if len(component.restarts) == restarts:
            signal_component(drill.stack, name, signal.SIGCONT)
            drill.note(f"{name} stopped {seconds:.0f} s and NOT restarted by the runner")
        else:
            drill.note(f"{name} stopped; the runner restarted it after {took:.1f} s")
        drill.restored_at = time.monotonic()

    return fault


def broker_lost_then_rebalanced(drill: Drill) -> None:
    """The broker killed (the runner starts a new one: an empty log); once notifications has
    read its partitions from the beginning again (`follow_broker`), each of its lanes' groups
    rebalances: a member joins, holds its share for a few seconds and leaves. Its partitions
    come back from the new broker's committed offsets; no welcome may be lost."""
    from aiokafka import AIOKafkaConsumer

    from shared.contracts.subscribers import SUBSCRIPTIONS, lane_group

    stack = drill.stack
    log_path = stack.components["notifications"].log_path
    seen = log_path.read_text(errors="replace").count("the broker lost its log")
    signal_component(stack, "broker", signal.SIGKILL)
    began = time.monotonic()
    while log_path.read_text(errors="replace").count("the broker lost its log") == seen:
        if time.monotonic() - began > 60:
            drill.note("notifications did not notice the new broker within 60 s")
            return
        time.sleep(0.2)
    drill.note(f"notifications rewound {time.monotonic() - began:.1f} s after the kill")
    lanes: dict[str, list[str]] = {}
    for topic in SUBSCRIPTIONS["notifications"]:
        lanes.setdefault(lane_group("notifications", topic), []).append(topic)

    async def join_and_leave(group: str, topics: list[str]) -> None:
        member = AIOKafkaConsumer(
            *topics,
            bootstrap_servers=stack.settings.kafka_bootstrap,
            group_id=group,
            enable_auto_commit=False,
            session_timeout_ms=stack.settings.kafka_session_timeout_ms,
            heartbeat_interval_ms=stack.settings.kafka_session_timeout_ms // 3,
        )
        await member.start()
        try:
            await asyncio.sleep(5)  # joined: the group rebalanced once; leaving, once more
        finally:
            await member.stop()

    async def rebalance_every_lane() -> None:
        await asyncio.gather(*(join_and_leave(g, t) for g, t in lanes.items()))

    asyncio.run(rebalance_every_lane())
    drill.restored_at = time.monotonic()
    drill.note(f"rebalanced {', '.join(sorted(lanes))}")
