"""The gateway on a stack of its own (services are stopped here, and the limits are tight):
partial results when a service is down, a subscription over graphql-transport-ws receiving a
notification caused by another client's mutation, the rate limit and a deep query."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from gql import Client as GqlClient
from gql import gql
from gql.transport.websockets import WebsocketsTransport

from deploy.stack import Stack
from tests.support.organizations import register
from tests.support.stack import Client, codes, create_network, stack_settings

RATE_BURST = 20


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    data_dir: Path = tmp_path_factory.mktemp("gateway-stack")
    settings = stack_settings(
        data_dir, gateway_max_depth=2, gateway_rate_burst=RATE_BURST, gateway_rate_per_second=1.0
    )
    with Stack(settings, report=lambda line: None) as running:
        yield running


@pytest.fixture
def own_network(own_stack: Stack) -> dict[str, str]:
    return create_network(own_stack)


def ws_url(stack: Stack) -> str:
    return stack.graphql_url.replace("http://", "ws://")


async def gateway_health(stack: Stack) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as http:
        return await http.get(f"{stack.service_url('gateway')}/health")


async def first_notification(stack: Stack, token: str, started: asyncio.Event) -> dict[str, Any]:
    transport = WebsocketsTransport(
        url=ws_url(stack),
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
    own_stack: Stack, own_network: dict[str, str]
) -> None:
    operator = Client(own_stack.graphql_url, own_network["operatorToken"])
    await asyncio.to_thread(own_stack.stop_component, "notifications")
    try:
        body = await asyncio.to_thread(operator.execute, "{ me { role } unreadNotificationCount }")
        assert body["data"] == {"me": {"role": "OPERATOR"}, "unreadNotificationCount": None}
        assert codes(body["errors"]) == ["UNAVAILABLE"]
        assert body["errors"][0]["path"] == ["unreadNotificationCount"]
        # still ready: the other services serve their operations
        health = await gateway_health(own_stack)
        assert health.status_code == 200
        assert health.json()["status"] == "degraded"
        assert health.json()["dependencies"]["notifications"].startswith("down")

        # Another client's mutation: the operator registers an organization; its admin's
        # welcome notification waits in Kafka until the notifications service is back.
        org = await asyncio.to_thread(register, operator, own_network["networkId"], "WS Pantry")
        started = asyncio.Event()
        receiving = asyncio.create_task(first_notification(own_stack, org["adminToken"], started))
        await asyncio.wait_for(started.wait(), 30)
        await asyncio.sleep(0)  # let the subscribe message go out before the service returns
    finally:
        await asyncio.to_thread(own_stack.start_component, "notifications")

    received = await asyncio.wait_for(receiving, 60)
    notification = received["notificationReceived"]
    assert notification["subjectId"] == org["organization"]["id"]
    assert notification["kind"]
    health = await gateway_health(own_stack)
    assert health.status_code == 200, health.json()


async def test_a_subscription_without_a_token_is_refused(own_stack: Stack) -> None:
    transport = WebsocketsTransport(
        url=ws_url(own_stack), subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL]
    )
    async with GqlClient(transport=transport) as session:
        with pytest.raises(Exception) as raised:
            async for _ in session.subscribe(gql("subscription { notificationReceived { id } }")):
                break
    assert "UNAUTHENTICATED" in str(raised.value) or "Bearer" in str(raised.value)


def test_a_deep_query_is_refused(own_stack: Stack, own_network: dict[str, str]) -> None:
    operator = Client(own_stack.graphql_url, own_network["operatorToken"])
    errors = operator.errors("{ notifications { edges { node { id } } } }")
    assert codes(errors) == ["LIMIT_EXCEEDED"]


def test_the_rate_limit_is_per_token(own_stack: Stack) -> None:
    hasty = Client(own_stack.graphql_url, create_network(own_stack)["operatorToken"])
    calm = Client(own_stack.graphql_url, create_network(own_stack)["operatorToken"])
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
