"""A restart on the stack's own data, as a user's second day with `make run`:

1. fresh data: registrations per second through the gateway (closed loop, clients retrying
   refusals as the README says), the baseline;
2. history: `--history` more registrations and their fan-out, then wait until every outbox
   is sent and every welcome is in the inbox (the consumers caught up);
3. a clean stop of the whole stack and a start on the same data directory (the embedded
   broker forgets everything: a new cluster id);
4. right after "up": registrations per second again, as a ratio of the fresh rate, and how
   many events the outbox relays sent again (their log lines: `shared/outbox.py`).

    python -m bench.restart [--history 2000] [--seconds 20] [--clients 16]"""

from __future__ import annotations

import argparse
import asyncio
import re
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from pymongo import MongoClient
from pymongo.collection import Collection

from deploy.stack import Stack
from shared.contracts.subscribers import SUBSCRIPTIONS
from shared.settings import ServiceName, Settings
from tests.support.stack import create_network, stack_settings

REGISTER = """mutation($i: RegisterOrganizationInput!) {
  registerOrganization(input: $i) { organization { id } } }"""
# what OutboxRelay logs when a broker lost its log, ending in the count it sends again
PUBLISHERS: tuple[ServiceName, ...] = ("intake", "matching", "commitments", "notifications")
RESENT = re.compile(r"the broker lost its log.*?: (\d+) events")


def registration(network_id: str) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:10]
    return {
        "networkId": network_id,
        "name": f"Restart Org {tag}",
        "mission": "Tutoring and meals for families after school",
        "focusAreas": ["education"],
        "offers": [{"kind": "VOLUNTEERS", "description": "tutors"}],
        "needs": [{"kind": "VENUE", "description": "a hall on Saturdays"}],
        "admin": {"name": "Bench Admin", "email": f"admin-{tag}@bench.org"},
    }


async def register_for(
    url: str, token: str, network_id: str, seconds: float, clients: int, limit: int = 0
) -> tuple[int, int, float]:
    """Closed loop: `clients` callers registering one organization after another, each
    retrying a refused or failed one after a short pause; answers (accepted, refused, seconds).
    With `limit`, stops once that many were accepted."""
    accepted = refused = 0
    began = time.perf_counter()
    until = began + seconds

    async def caller(http: httpx.AsyncClient) -> None:
        nonlocal accepted, refused
        while time.perf_counter() < until and not (limit and accepted >= limit):
            body = {"query": REGISTER, "variables": {"i": registration(network_id)}}
            try:
                answer = (await http.post(url, json=body)).json()
            except httpx.HTTPError:
                answer = {"errors": [{}]}
            if answer.get("errors"):
                refused += 1
                await asyncio.sleep(0.2)
            else:
                accepted += 1

    headers = {"authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(timeout=30, headers=headers, limits=limits) as http:
        await asyncio.gather(*(caller(http) for _ in range(clients)))
    return accepted, refused, time.perf_counter() - began


def rate_of(stack: Stack, seconds: float, clients: int) -> tuple[float, int]:
    network = create_network(stack, name=f"Bench {uuid.uuid4().hex[:6]}")
    accepted, refused, took = asyncio.run(
        register_for(
            stack.graphql_url, network["operatorToken"], network["networkId"], seconds, clients
        )
    )
    return accepted / took, refused


def build_history(stack: Stack, count: int, clients: int, networks: int = 10) -> None:
    for _ in range(min(networks, count)):
        network = create_network(stack, name=f"History {uuid.uuid4().hex[:6]}")
        asyncio.run(
            register_for(
                stack.graphql_url,
                network["operatorToken"],
                network["networkId"],
                3600,
                clients,
                limit=max(1, count // networks),
            )
        )


def caught_up(settings: Settings, timeout: float = 1800.0) -> float:
    """Waits until no outbox has anything pending and every consumer has processed every
    event of the topics it reads (its processed ids against every outbox's events); answers
    the seconds it took."""
    began = time.monotonic()
    mongo: MongoClient[dict[str, Any]]
    with MongoClient(settings.mongo_url, document_class=dict) as mongo:
        while time.monotonic() - began < timeout:
            outboxes: list[Collection[dict[str, Any]]] = [
                mongo[settings.database_name(s)]["outbox"] for s in PUBLISHERS
            ]
            pending = sum(o.count_documents({"sent_at": None}) for o in outboxes)
            behind = 0
            for group in PUBLISHERS[1:]:  # the consumers
                read = {"topic": {"$in": list(SUBSCRIPTIONS[group])}}
                behind += sum(o.count_documents(read) for o in outboxes)
                behind -= mongo[settings.database_name(group)]["processed_events"].count_documents(
                    {}
                )
            if pending == 0 and behind <= 0:
                return time.monotonic() - began
            time.sleep(0.5)
    raise TimeoutError("the consumers did not catch up")


def resent(stack: Stack) -> dict[str, int]:
    return {
        service: sum(
            int(found)
            for found in RESENT.findall(
                stack.components[service].log_path.read_text(errors="replace")
            )
        )
        for service in PUBLISHERS
    }


def arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--history", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=16)
    # how long the caught-up stack runs on before its clean stop: the relays' next look at
    # the consumers' positions; a smoke run need not wait for it
    parser.add_argument("--settle-seconds", type=float, default=5.0)
    return parser


def run(args: argparse.Namespace) -> None:
    """Two stacks one after the other on one data directory: it needs no stack given."""
    with tempfile.TemporaryDirectory() as data_dir:
        settings = stack_settings(
            Path(data_dir),
            gateway_rate_per_second=1e9,
            gateway_rate_burst=1_000_000_000,
            log_level="WARNING",
        ).model_copy(update={"telemetry_exporter": "off"})
        with Stack(settings, report=lambda line: None) as stack:
            fresh, fresh_refused = rate_of(stack, args.seconds, args.clients)
            print(
                f"fresh data: {fresh:.1f} registrations/s ({fresh_refused} refused, "
                f"{args.clients} clients, {args.seconds:.0f}s)",
                flush=True,
            )
            began = time.monotonic()
            build_history(stack, args.history, args.clients)
            print(f"history: {args.history} registrations in {time.monotonic() - began:.0f}s")
            print(f"consumers caught up {caught_up(settings):.0f}s later", flush=True)
            time.sleep(args.settle_seconds)
        began = time.monotonic()
        with Stack(settings, report=lambda line: None) as stack:
            print(f'restarted on the same data: "up" in {time.monotonic() - began:.1f}s')
            after, after_refused = rate_of(stack, args.seconds, args.clients)
            print(
                f"right after up: {after:.1f} registrations/s ({after_refused} refused) = "
                f"{after / max(fresh, 1e-9):.2f}x the fresh rate"
            )
            again = resent(stack)
            print(f"events sent again by the outbox relays: {sum(again.values())} {again}")
            settled, _ = rate_of(stack, args.seconds, args.clients)
            print(
                f"{args.seconds:.0f}s later: {settled:.1f}/s = "
                f"{settled / max(fresh, 1e-9):.2f}x fresh"
            )


def main() -> None:
    run(arguments().parse_args())


if __name__ == "__main__":
    main()
