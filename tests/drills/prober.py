"""An observer of the gateway under overload, in a process of its own: one `{ __typename }`
at a time, every 0.2 s, timed from here. The load generator's own measure includes its event
loop, busy with hundreds of retrying clients on the same two cores; this one does not.

    python -m tests.drills.prober GRAPHQL_URL SECONDS   → JSON: {"refused": [s], "served": [s]}"""

from __future__ import annotations

import json
import sys
import time

import httpx

INTERVAL = 0.2


def probe(url: str, seconds: float) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {"refused": [], "served": []}
    end = time.monotonic() + seconds
    with httpx.Client(timeout=30) as client:
        while time.monotonic() < end:
            sent = time.perf_counter()
            try:
                answer = client.post(url, json={"query": "{ __typename }"}).json()
            except (httpx.HTTPError, ValueError):
                answer = {"errors": [{}]}
            took = time.perf_counter() - sent
            timings["refused" if answer.get("errors") else "served"].append(took)
            time.sleep(INTERVAL)
    return timings


if __name__ == "__main__":
    print(json.dumps(probe(sys.argv[1], float(sys.argv[2]))))
