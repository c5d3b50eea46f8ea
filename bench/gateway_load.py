"""Load on the gateway over loopback: requests per second and latency percentiles of a typical
nested query (caller, network, an organization's profile, the inbox page), with concurrent
httpx clients against an embedded stack of its own.

    python -m bench.gateway_load [--seconds 15] [--concurrency 32]

The load generator shares the machine with the gateway and the services it calls, so the
numbers are a floor for the gateway, not a ceiling."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from deploy.stack import Stack
from tests.support.stack import Client, create_network, stack_settings

QUERY = """
query Typical($network: ID!, $org: ID!) {
  me { memberId role }
  network(id: $network) { name region timeZone }
  organization(id: $org) {
    id name mission focusAreas
    offers { kind description quantity unit }
    needs { kind description }
    availability { day start end }
  }
  notifications(first: 10) { edges { node { id title read createdAt } } pageInfo { hasNextPage } }
}
"""


def prepare(stack: Stack) -> tuple[str, dict[str, Any]]:
    network = create_network(stack)
    operator = Client(stack.graphql_url, network["operatorToken"])
    registered = operator.data(
        "mutation R($input: RegisterOrganizationInput!) "
        "{ registerOrganization(input: $input) { organization { id } adminToken } }",
        {
            "input": {
                "networkId": network["networkId"],
                "name": "Bench Pantry",
                "mission": "Food for everyone",
                "focusAreas": ["food security"],
                "offers": [{"kind": "VOLUNTEERS", "description": "drivers", "quantity": 12}],
                "needs": [{"kind": "VENUE", "description": "a cold room"}],
                "availability": [{"day": "mon", "start": "09:00", "end": "12:00"}],
                "admin": {"name": "Bench Admin", "email": "admin@bench.example.org"},
            }
        },
    )["registerOrganization"]
    variables = {"network": network["networkId"], "org": registered["organization"]["id"]}
    return registered["adminToken"], variables


async def worker(
    http: httpx.AsyncClient, url: str, body: dict[str, Any], until: float, out: list[float]
) -> int:
    failures = 0
    while time.perf_counter() < until:
        began = time.perf_counter()
        response = await http.post(url, json=body)
        elapsed = time.perf_counter() - began
        if response.status_code != 200 or response.json().get("errors"):
            failures += 1
        else:
            out.append(elapsed)
    return failures


async def load(
    url: str,
    token: str,
    variables: dict[str, Any],
    seconds: float,
    concurrency: int,
    warm_up_seconds: float = 2.0,
) -> dict[str, float]:
    body = {"query": QUERY, "variables": variables}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(timeout=30, limits=limits, headers=headers) as http:
        warm: list[float] = []
        await asyncio.gather(
            *(
                worker(http, url, body, time.perf_counter() + warm_up_seconds, warm)
                for _ in range(concurrency)
            )
        )
        latencies: list[float] = []
        began = time.perf_counter()
        failures = await asyncio.gather(
            *(worker(http, url, body, began + seconds, latencies) for _ in range(concurrency))
        )
        elapsed = time.perf_counter() - began
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "failures": sum(failures),
        "rps": len(ordered) / elapsed,
        "p50_ms": 1000 * statistics.median(ordered),
        "p99_ms": 1000 * ordered[int(0.99 * (len(ordered) - 1))],
    }


def arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--warm-up-seconds", type=float, default=2.0)
    return parser


def run(stack: Stack, args: argparse.Namespace) -> None:
    token, variables = prepare(stack)
    result = asyncio.run(
        load(
            stack.graphql_url,
            token,
            variables,
            args.seconds,
            args.concurrency,
            args.warm_up_seconds,
        )
    )
    print(
        f"typical nested query, {args.concurrency} concurrent clients, {args.seconds:.0f}s: "
        f"{result['rps']:.0f} req/s, p50 {result['p50_ms']:.1f} ms, "
        f"p99 {result['p99_ms']:.1f} ms ({result['requests']:.0f} ok, "
        f"{result['failures']:.0f} failed)"
    )


def main() -> None:
    args = arguments().parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        settings = stack_settings(
            Path(data_dir),
            gateway_rate_per_second=1e9,
            gateway_rate_burst=1_000_000_000,
            log_level="WARNING",
        ).model_copy(update={"telemetry_exporter": "off"})
        with Stack(settings, report=lambda line: None) as stack:
            run(stack, args)


if __name__ == "__main__":
    main()
