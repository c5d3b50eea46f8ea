"""The fuzz drill: hypothesis-graphql documents, valid and invalid in turn, sent by an
authenticated operator (its rate limit raised, so the limit does not answer for the schema)
and checked as tests/support/fuzz.py says.

Making a valid document costs hypothesis about 20 ms of CPU (an invalid one 5 ms; see
`generate`): a third of the CPU the drill costs, the gateway a quarter (2,000 cases). Made
in this process between the sends, generation and sending took turns, and generation held
the sending threads back (one interpreter). Documents are made in a process of their own, a
chunk ahead, while this one sends the previous chunk FUZZ_CLIENTS at a time. On two shared
cores the drill is short of CPU, not of parallelism: 10,000 cases took 211 s and 350 s
(another drill running beside it), hence the budget of tests/drills/harness.py."""

from __future__ import annotations

import itertools
import multiprocessing
import threading
import time
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

import httpx

from tests.drills.harness import Options, Row, supervised_stack
from tests.drills.security import SECURE, row
from tests.support.fuzz import check, generate
from tests.support.organizations import register
from tests.support.stack import Client, create_network

FUZZ_CLIENTS = 4
CHUNK = 100  # documents made at once, all valid or all invalid
# processes making documents: two made 2,000 cases no faster than one on two cores (the
# whole stack runs there, so the drill is short of CPU, not of parallelism)
GENERATORS = 1


def fuzz(name: str, options: Options) -> tuple[Row, list[str]]:
    """Up to `fuzz_cases` documents within `fuzz_budget` seconds."""
    overrides: dict[str, Any] = {
        **SECURE,
        "gateway_rate_per_second": 100_000.0,
        "gateway_rate_burst": 100_000,
    }
    with supervised_stack(name, options, **overrides) as drill:
        network = create_network(drill.stack)
        operator = Client(drill.stack.graphql_url, network["operatorToken"])
        register(operator, network["networkId"], "Fuzz Pantry")
        headers = {"authorization": f"Bearer {operator.token}"}
        counts = {"sent": 0, "accepted": 0}
        breaches: list[str] = []
        lock = threading.Lock()
        began = time.monotonic()
        end = began + options.fuzz_budget
        limits = httpx.Limits(max_connections=FUZZ_CLIENTS)
        spawn = multiprocessing.get_context("spawn")  # not fork: this process runs threads
        makers = ProcessPoolExecutor(GENERATORS, mp_context=spawn)
        with httpx.Client(timeout=30, limits=limits) as http:

            def one(document: str) -> None:  # one fuzz case
                with lock:
                    counts["sent"] += 1
                try:
                    response = http.post(operator.url, json={"query": document}, headers=headers)
                    check(response)
                except (AssertionError, httpx.HTTPError, ValueError, KeyError) as error:
                    breaches.append(f"{document[:200]!r}: {str(error)[:300]}")
                    return
                body = response.json()
                with lock:
                    counts["accepted"] += bool(body.get("data") and not body.get("errors"))

            modes = itertools.cycle(["POSITIVE", "NEGATIVE"])
            planned = 0
            waited = 0.0  # for documents not made yet
            coming: deque[Future[list[str]]] = deque()
            try:
                with ThreadPoolExecutor(FUZZ_CLIENTS) as senders:
                    while True:
                        while len(coming) <= GENERATORS and planned < options.fuzz_cases:
                            size = min(CHUNK, options.fuzz_cases - planned)
                            coming.append(makers.submit(generate, next(modes), size))
                            planned += size
                        if not coming or time.monotonic() > end:
                            break
                        asked = time.monotonic()
                        documents = coming.popleft().result()
                        waited += time.monotonic() - asked
                        list(senders.map(one, documents))
            finally:
                makers.shutdown(wait=True, cancel_futures=True)
        spent = time.monotonic() - began
        drill.note(
            f"{counts['sent']} fuzz cases in {spent:.0f} s (hypothesis-graphql, valid and "
            f"invalid documents in turn, {FUZZ_CLIENTS} at a time; {waited:.0f} s spent waiting "
            f"for documents, made in {GENERATORS} other process(es)); breaches: {breaches[:3]}"
        )
        sent = counts["sent"]
        return row(sent, counts["accepted"], sent - len(breaches), len(breaches)), drill.notes
