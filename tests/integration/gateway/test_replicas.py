"""Two gateway replicas share one rate limit: two gateway apps in this process (uvicorn on
free ports, as a deployment runs replicas behind one address) count a caller's operations in
one SecantusDB, so together they allow the burst once, not once each."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.documents import document_store
from tests.support.gateway import lone_gateway, lone_settings

BURST = 10


@pytest.fixture(scope="module")
def store_url() -> Iterator[str]:
    with document_store() as url:
        yield url


@pytest.fixture(scope="module")
def replicas(store_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    data_dir: Path = tmp_path_factory.mktemp("replicas")
    settings = lone_settings(
        data_dir,
        mongo_url=store_url,
        gateway_rate_burst=BURST,
        gateway_rate_per_second=0.1,  # 10 in any 100 s: nothing comes back during the test
    )
    with (
        lone_gateway(settings, services_ready=True) as first,
        lone_gateway(settings, services_ready=True) as second,
    ):
        yield [f"{first}/graphql", f"{second}/graphql"]


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
