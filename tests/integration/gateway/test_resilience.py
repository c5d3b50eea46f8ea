"""A gateway of its own with tight limits, beside the session's (a service is stopped here):
partial results when a service is down, a subscription over graphql-transport-ws receiving a
notification caused by another client's mutation, the rate limit and a deep query."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest
from gql import Client as GqlClient
from gql import gql
from gql.transport.websockets import WebsocketsTransport

from deploy.stack import Stack
from tests.support.organizations import register
from tests.support.stack import Client, codes, create_network, free_port

RATE_BURST = 20
TIGHT = "gateway-tight"  # its component's name in the session's runner


@dataclass(frozen=True)
class Gateway:
    """A gateway of this module's own over the session's services."""

    url: str

    @property
    def graphql_url(self) -> str:
        return f"{self.url}/graphql"


@pytest.fixture(scope="module")
def gateway(stack: Stack) -> Iterator[Gateway]:
    """A second gateway process with tight limits beside the session's, supervised by the same
    runner (the services it calls are the session's: this module stops one of them)."""
    port = free_port()
    url = f"http://{stack.settings.host}:{port}"
    first = stack.components["gateway"]
    stack.components[TIGHT] = replace(
        first,
        name=TIGHT,
        port=port,
        log_path=first.log_path.with_name(f"{TIGHT}.log"),
        health_url=f"{url}/health/ready",
        env={
            "COMMONWEAVE_GATEWAY_PORT": str(port),
            "COMMONWEAVE_DATA_DIR": str(stack.settings.data_dir.resolve() / TIGHT),  # its spans
            "COMMONWEAVE_GATEWAY_MAX_DEPTH": "2",
            "COMMONWEAVE_GATEWAY_RATE_BURST": str(RATE_BURST),
            "COMMONWEAVE_GATEWAY_RATE_PER_SECOND": "1.0",
        },
        process=None,
        restarts=[],
        log=None,
    )
    try:
        stack.start_component(TIGHT)
        yield Gateway(url)
    finally:
        stack.stop_component(TIGHT)
        component = stack.components.pop(TIGHT)
        if component.log is not None:
            component.log.close()


@pytest.fixture
def own_network(stack: Stack) -> dict[str, str]:
    return create_network(stack)


def ws_url(gateway: Gateway) -> str:
    return gateway.graphql_url.replace("http://", "ws://")


async def gateway_health(gateway: Gateway) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as http:
        return await http.get(f"{gateway.url}/health")


async def first_notification(
    gateway: Gateway, token: str, started: asyncio.Event
) -> dict[str, Any]:
    transport = WebsocketsTransport(
        url=ws_url(gateway),
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
        init_payload={"Authorization": f"Bearer {token}"},
    )
    async with GqlClient(transport=transport) as session:
        subscription = gql("subscription { notificationReceived { id kind title subjectId } }")
        results = session.subscribe(subscription)
        pending = asyncio.ensure_future(results.__anext__())
        started.set()
        result: dict[str, Any] = await pending
        await results.aclose()
        return result


async def test_a_service_down_nulls_its_fields_and_a_subscription_sees_it_return(
    stack: Stack, gateway: Gateway, own_network: dict[str, str]
) -> None:
    operator = Client(gateway.graphql_url, own_network["operatorToken"])
    await asyncio.to_thread(stack.stop_component, "notifications")
    try:
        body = await asyncio.to_thread(operator.execute, "{ me { role } unreadNotificationCount }")
        assert body["data"] == {"me": {"role": "OPERATOR"}, "unreadNotificationCount": None}
        assert codes(body["errors"]) == ["UNAVAILABLE"]
        assert body["errors"][0]["path"] == ["unreadNotificationCount"]
        # still ready: the other services serve their operations
        health = await gateway_health(gateway)
        assert health.status_code == 200
        assert health.json()["status"] == "degraded"
        assert health.json()["dependencies"]["notifications"].startswith("down")

        # Another client's mutation: the operator registers an organization; its admin's
        # welcome notification waits in Kafka until the notifications service is back.
        org = await asyncio.to_thread(register, operator, own_network["networkId"], "WS Pantry")
        started = asyncio.Event()
        receiving = asyncio.create_task(first_notification(gateway, org["adminToken"], started))
        await asyncio.wait_for(started.wait(), 30)
        await asyncio.sleep(0)  # let the subscribe message go out before the service returns
    finally:
        await asyncio.to_thread(stack.start_component, "notifications")

    received = await asyncio.wait_for(receiving, 60)
    notification = received["notificationReceived"]
    assert notification["subjectId"] == org["organization"]["id"]
    assert notification["kind"]
    health = await gateway_health(gateway)
    assert health.status_code == 200, health.json()


async def test_a_subscription_without_a_token_is_refused(gateway: Gateway) -> None:
    transport = WebsocketsTransport(
        url=ws_url(gateway), subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL]
    )
    async with GqlClient(transport=transport) as session:
        with pytest.raises(Exception) as raised:
            async for _ in session.subscribe(gql("subscription { notificationReceived { id } }")):
                break
    assert "UNAUTHENTICATED" in str(raised.value) or "Bearer" in str(raised.value)


def test_a_deep_query_is_refused(gateway: Gateway, own_network: dict[str, str]) -> None:
    operator = Client(gateway.graphql_url, own_network["operatorToken"])
    errors = operator.errors("{ notifications { edges { node { id } } } }")
    assert codes(errors) == ["LIMIT_EXCEEDED"]


def test_the_rate_limit_is_per_token(stack: Stack, gateway: Gateway) -> None:
    hasty = Client(gateway.graphql_url, create_network(stack)["operatorToken"])
    calm = Client(gateway.graphql_url, create_network(stack)["operatorToken"])
    with httpx.Client(timeout=30) as http:
        answers = [
            http.post(
                hasty.url,
                json={"query": "{ me { role } }"},
                headers={"authorization": f"Bearer {hasty.token}"},
            ).json()
            for _ in range(RATE_BURST + 10)
        ]
    refused = [a for a in answers if a.get("errors")]
    assert refused, "the burst was not limited"
    assert {c for a in refused for c in codes(a["errors"])} == {"LIMIT_EXCEEDED"}
    assert calm.data("{ me { role } }") == {"me": {"role": "OPERATOR"}}
