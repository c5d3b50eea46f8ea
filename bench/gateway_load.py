"""Load on the gateway over loopback: requests per second and latency percentiles of a typical
nested query (caller, network, an organization's profile, the inbox page), with concurrent
httpx clients against an embedded stack of its own; then the same query, clients and
concurrency against bare strawberry (`bench._bare_schema`: the same query shape from
in-memory dicts holding the gateway's own answer, FastAPI and uvicorn as the gateway), and
the ratio of their mean times per request: the gateway's own overhead (auth, DataLoaders over
internal HTTP, tracing, admission, the services behind it).

    python -m bench.gateway_load [--seconds 15] [--concurrency 32] [--profile docs/profiles]

With `--profile DIR`, py-spy records the gateway and the document store while the gateway is
under load (bench._spy).

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

from bench import _bare_schema, _spy
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
        "mean_ms": 1000 * statistics.fmean(ordered),
        "p50_ms": 1000 * statistics.median(ordered),
        "p99_ms": 1000 * ordered[int(0.99 * (len(ordered) - 1))],
    }


def arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--warm-up-seconds", type=float, default=2.0)
    parser.add_argument("--profile", type=Path, help="py-spy flame graphs into this folder")
    return parser


def answer(url: str, token: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(
        url,
        json={"query": QUERY, "variables": variables},
        headers={"authorization": f"Bearer {token}"},
        timeout=30,
    )
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    if body.get("errors"):
        raise RuntimeError(f"the gateway refused the bench query: {body['errors']}")
    data: dict[str, Any] = body["data"]
    return data


def report(name: str, args: argparse.Namespace, result: dict[str, float]) -> None:
    print(
        f"{name}, typical nested query, {args.concurrency} concurrent clients, "
        f"{args.seconds:.0f}s: {result['rps']:.0f} req/s, mean {result['mean_ms']:.1f} ms, "
        f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms "
        f"({result['requests']:.0f} ok, {result['failures']:.0f} failed)"
    )


def run(stack: Stack, args: argparse.Namespace) -> None:
    token, variables = prepare(stack)

    def measure(url: str) -> dict[str, float]:
        return asyncio.run(
            load(url, token, variables, args.seconds, args.concurrency, args.warm_up_seconds)
        )

    with _spy.spying(stack, ["gateway", "mongo"], args.profile, "gateway-load"):
        gateway = measure(stack.graphql_url)
    report("gateway", args, gateway)
    data = answer(stack.graphql_url, token, variables)
    with _bare_schema.serving(data, variables["network"]) as bare_url:
        if answer(bare_url, token, variables) != data:
            raise RuntimeError("bare strawberry answers the query differently from the gateway")
        bare = measure(bare_url)
    report("bare strawberry", args, bare)
    print(
        f"gateway: {gateway['mean_ms'] / bare['mean_ms']:.2f}x the time of bare strawberry "
        f"per request (mean; p50 {gateway['p50_ms'] / bare['p50_ms']:.2f}x, "
        f"p99 {gateway['p99_ms'] / bare['p99_ms']:.2f}x; bare serves "
        f"{bare['rps'] / gateway['rps']:.2f}x the requests per second)"
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
