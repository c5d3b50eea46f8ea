"""Twice the sustained capacity: capacity is measured first (clients registering in a closed
loop), then twice that rate is offered in an open loop for `outage` seconds by clients that
retry as the README says. The gateway must refuse early (UNAVAILABLE or LIMIT_EXCEEDED, fast)
rather than queue requests into timeouts, and nothing a client was finally told failed may be
written. Registrations are spread over several networks, as many clients would be, so one
operator's rate limit is not what refuses them."""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import time
from typing import Any

import httpx

from tests.drills.harness import (
    REGISTER,
    RETRY_PATIENCE,
    Drill,
    Options,
    Outcome,
    Row,
    audit,
    registration,
    retryable,
    supervised_stack,
    written,
)
from tests.support.stack import create_network

NETWORKS = 8
WARM_UP = 5.0  # seconds of closed loop before capacity is measured
CAPACITY_CLIENTS = 8


class Offer:
    def __init__(self, drill: Drill, networks: list[dict[str, str]]) -> None:
        self.drill = drill
        self.networks = networks
        self.outcome = Outcome([n["networkId"] for n in networks])
        self.refusals: list[float] = []  # seconds each refused attempt took to answer
        self.refusal_codes: dict[str, int] = {}
        self.answered: list[float] = []  # seconds from first send to the final acceptance
        self.counter = 0
        self.gave_up_on: dict[str, str] = {}  # name -> the last attempt's outcome
        self.http = httpx.AsyncClient(
            timeout=30, limits=httpx.Limits(max_connections=400, max_keepalive_connections=100)
        )

    async def register(self, patience: float = RETRY_PATIENCE) -> bool:
        i = self.counter
        self.counter += 1
        network = self.networks[i % len(self.networks)]
        body = registration(network["networkId"], i)
        headers = {
            "authorization": f"Bearer {network['operatorToken']}",
            "Idempotency-Key": f"overload-{network['networkId']}-{i}",
        }
        self.outcome.sent += 1
        began = time.monotonic()
        give_up = began + patience
        while True:
            sent = time.monotonic()
            try:
                response = await self.http.post(
                    self.drill.stack.graphql_url,
                    json={"query": REGISTER, "variables": {"i": body}},
                    headers=headers,
                )
                answer: dict[str, Any] = response.json()
            except (httpx.HTTPError, ValueError):
                answer = {"errors": [{"extensions": {"retryable": True, "code": "CONNECTION"}}]}
            took = time.monotonic() - sent
            errors = answer.get("errors") or []
            if not errors and answer.get("data"):
                organization = answer["data"]["registerOrganization"]["organization"]
                self.outcome.accepted[body["name"]] = organization["id"]
                self.answered.append(time.monotonic() - began)
                return True
            for error in errors:
                code = (error.get("extensions") or {}).get("code", "?")
                self.refusal_codes[code] = self.refusal_codes.get(code, 0) + 1
            self.refusals.append(took)
            limited = all(
                (e.get("extensions") or {}).get("code") == "LIMIT_EXCEEDED" for e in errors
            )
            if not (retryable(answer) or limited) or time.monotonic() > give_up:
                self.outcome.refused.add(body["name"])
                last = [(e.get("extensions") or {}).get("code", "?") for e in errors]
                self.gave_up_on[body["name"]] = ",".join(last)
                return False
            await asyncio.sleep(1.0 if limited else 0.5)

    async def closed_loop(self, seconds: float) -> float:
        """Accepted registrations per second, `CAPACITY_CLIENTS` clients each waiting for its
        answer before sending the next."""
        end = time.monotonic() + seconds
        accepted = 0

        async def client() -> None:
            nonlocal accepted
            while time.monotonic() < end:
                ok = await self.register(patience=0)  # awaited first: += would lose counts
                accepted += ok

        began = time.monotonic()
        await asyncio.gather(*(client() for _ in range(CAPACITY_CLIENTS)))
        return accepted / (time.monotonic() - began)

    async def open_loop(self, rate: float, seconds: float) -> None:
        began = time.monotonic()
        tasks = []
        for n in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, n / rate - (time.monotonic() - began)))
            tasks.append(asyncio.create_task(self.register()))
        await asyncio.gather(*tasks)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def twice_capacity(name: str, options: Options) -> tuple[Row, list[str]]:
    with supervised_stack(name, options) as drill:
        networks = [create_network(drill.stack, name=f"Load {n}") for n in range(NETWORKS)]
        warm = Offer(drill, networks)
        measure = max(8.0, min(20.0, options.outage / 3))
        capacity = asyncio.run(run_closed(warm, WARM_UP, measure))
        drill.note(
            f"capacity: {capacity:.1f} registrations/s ({CAPACITY_CLIENTS} clients in a closed "
            f"loop for {measure:.0f} s after {WARM_UP:.0f} s of warm-up)"
        )
        offer = Offer(drill, networks)
        offer.counter = 1_000_000  # names apart from the capacity run's
        rate = 2 * capacity
        began = time.monotonic()
        prober = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.drills.prober",
                drill.stack.graphql_url,
                str(options.outage),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        asyncio.run(run_open(offer, rate, options.outage))
        span = time.monotonic() - began
        probed = json.loads(prober.communicate()[0])
        accepted = len(offer.outcome.accepted)
        drill.note(
            f"offered {rate:.1f}/s for {options.outage:.0f} s: {accepted} accepted "
            f"({accepted / span:.1f}/s over {span:.0f} s, retries included); refused attempts "
            f"{len(offer.refusals)} {offer.refusal_codes}, answered in p50 "
            f"{percentile(offer.refusals, 0.5) * 1000:.0f} ms, p99 "
            f"{percentile(offer.refusals, 0.99) * 1000:.0f} ms; accepted after p50 "
            f"{percentile(offer.answered, 0.5):.1f} s, p99 {percentile(offer.answered, 0.99):.1f} s"
            + (f", mean {statistics.mean(offer.answered):.1f} s" if offer.answered else "")
        )
        drill.note(
            "an observer in a process of its own (tests/drills/prober.py), one request at a "
            f"time: {len(probed['refused'])} refused in p50 "
            f"{percentile(probed['refused'], 0.5) * 1000:.0f} ms, p99 "
            f"{percentile(probed['refused'], 0.99) * 1000:.0f} ms; {len(probed['served'])} "
            f"served in p50 {percentile(probed['served'], 0.5) * 1000:.0f} ms (the load "
            "generator's own figures above include its event loop's lag)"
        )
        row = audit(drill, offer.outcome)
        stored = written(drill.stack, offer.outcome.network_ids)
        kinds: dict[str, int] = {}
        for name, last in offer.gave_up_on.items():
            if name in stored:
                kinds[last] = kinds.get(last, 0) + 1
        drill.note(
            f"{len(offer.gave_up_on)} clients gave up after {RETRY_PATIENCE:.0f} s of retries; "
            f"of those written, by the last attempt's outcome (CONNECTION: no answer within "
            f"the client's 30 s): {kinds}"
        )
        drill.note(f"the audit waited {drill.settled_after:.0f} s for the backlog's effects")
        return row, drill.notes


async def run_closed(offer: Offer, warm_up: float, seconds: float) -> float:
    try:
        await offer.closed_loop(warm_up)
        return await offer.closed_loop(seconds)
    finally:
        await offer.http.aclose()


async def run_open(offer: Offer, rate: float, seconds: float) -> None:
    try:
        await offer.open_loop(rate, seconds)
    finally:
        await offer.http.aclose()
