"""Two gateway replicas share one rate limit: two gateway apps in this process (uvicorn on
free ports, as a deployment runs replicas behind one address) count a caller's operations in
one SecantusDB, so together they allow the burst once, not once each."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn

from services.gateway.app import create_app
from shared.settings import Settings
from tests.support.documents import document_store
from tests.support.stack import free_port

BURST = 10


@pytest.fixture(scope="module")
def store_url() -> Iterator[str]:
    with document_store() as url:
        yield url


@contextmanager
def gateway(settings: Settings) -> Iterator[str]:
    app = create_app(settings)
    # No lifespan: `{ __typename }` needs neither the event feed (Kafka) nor the services, so
    # the test marks them ready as the gateway's readiness watch would once they answer.
    app.state.clients.ready = True
    config = uvicorn.Config(
        app, host="127.0.0.1", port=free_port(), lifespan="off", log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the gateway did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{config.port}/graphql"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def replicas(store_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    data_dir: Path = tmp_path_factory.mktemp("replicas")
    settings = Settings(
        mongo_url=store_url,
        telemetry_exporter="off",
        data_dir=data_dir,
        gateway_rate_burst=BURST,
        gateway_rate_per_second=0.1,  # 10 in any 100 s: nothing comes back during the test
        _env_file=None,  # type: ignore[call-arg]
    )
    with gateway(settings) as first, gateway(settings) as second:
        yield [first, second]


def codes_of(answer: dict[str, object]) -> list[str]:
    errors = answer.get("errors") or []
    return [e["extensions"]["code"] for e in errors]  # type: ignore[index]


def test_two_replicas_share_one_rate_limit(replicas: list[str]) -> None:
    with httpx.Client(timeout=30) as http:

        def ask(url: str, token: str) -> list[str]:
            answer = http.post(
                url,
                json={"query": "{ __typename }"},
                headers={"authorization": f"Bearer {token}"},
            )
            return codes_of(answer.json())

        # alternating between the replicas, as a load balancer would
        answers = [ask(replicas[i % 2], "hasty") for i in range(2 * BURST)]
        assert answers[:BURST] == [[]] * BURST  # the burst, half on each replica
        assert answers[BURST:] == [["LIMIT_EXCEEDED"]] * BURST  # not a second burst
        # either replica refuses the caller now, and another caller is counted apart
        assert ask(replicas[0], "hasty") == ask(replicas[1], "hasty") == ["LIMIT_EXCEEDED"]
        assert ask(replicas[1], "calm") == []
