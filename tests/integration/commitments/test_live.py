"""Live partnership activity over graphql-transport-ws (a real websocket client receives a
check-in recorded by another client; a removed member's subscription ends), and meeting
times proposed from the partners' availability as commitments learned it from intake's
events."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from gql import Client as GqlClient
from gql import gql
from gql.transport.websockets import WebsocketsTransport

from deploy.stack import Stack
from tests.support.organizations import ADD_MEMBER, REMOVE_MEMBER, register, register_profile
from tests.support.partnerships import CHECK_IN, form
from tests.support.stack import Client, create_network
from tests.support.wait import eventually

ACTIVITY = """subscription($p: ID!) { partnershipActivity(partnershipId: $p) {
  kind partnershipId subjectId data } }"""
MEETINGS = """query($p: ID!) { partnership(id: $p) { suggestedMeetingTimes(first: 2) {
  start end localStarts { organizationId start } } } }"""


def websocket(stack: Stack, token: str) -> WebsocketsTransport:
    return WebsocketsTransport(
        url=stack.graphql_url.replace("http://", "ws://"),
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
        init_payload={"Authorization": f"Bearer {token}"},
    )


async def first_check_in(stack: Stack, token: str, pid: str, started: asyncio.Event) -> Any:
    """The first check-in activity (the formation may still be on its way when this starts)."""
    async with GqlClient(transport=websocket(stack, token)) as session:
        results = session.subscribe(gql(ACTIVITY), variable_values={"p": pid})
        pending = asyncio.ensure_future(results.__anext__())
        started.set()
        result = await pending
        while result["partnershipActivity"]["kind"] != "checkin.recorded":
            result = await results.__anext__()
        await results.aclose()
        return result


async def test_partners_see_activity_live_and_meeting_times(stack: Stack) -> None:
    net = create_network(stack, name="Live Network")
    operator = Client(stack.graphql_url, net["operatorToken"])
    tuesday_evening = [{"day": "tuesday", "start": "18:00", "end": "20:00"}]
    east = register_profile(
        operator, net["networkId"], "East Side Pantry", timeZone="America/New_York",
        availability=tuesday_evening,
    )  # fmt: skip
    west = register_profile(
        operator, net["networkId"], "West Side School", timeZone="America/Chicago",
        availability=[{"day": "tuesday", "start": "16:00", "end": "18:00"}],
    )  # fmt: skip
    ids = [east["organization"]["id"], west["organization"]["id"]]
    pid = (await asyncio.to_thread(form, operator, "East & West", ids))["id"]

    started = asyncio.Event()
    watching = asyncio.create_task(first_check_in(stack, east["adminToken"], pid, started))
    await asyncio.wait_for(started.wait(), 30)
    await asyncio.sleep(1)  # let the subscription reach the gateway before the mutation
    west_admin = operator.as_(west["adminToken"])
    held = {"partnershipId": pid, "heldAt": datetime.now(UTC).isoformat(), "wins": ["Met"]}
    recorded = await asyncio.to_thread(west_admin.data, CHECK_IN, {"i": held})

    activity = (await asyncio.wait_for(watching, 60))["partnershipActivity"]
    assert activity["kind"] == "checkin.recorded"
    assert activity["partnershipId"] == pid
    assert activity["data"]["check_in_id"] == recorded["recordCheckIn"]["id"]
    assert activity["data"]["wins"] == ["Met"]

    # East 18:00-20:00 New York and West 16:00-18:00 Chicago (17:00-19:00 New York): the
    # common hour is 18:00-19:00 New York time, 17:00 in Chicago, every Tuesday.
    def slots() -> list[dict[str, Any]] | None:
        found = operator.data(MEETINGS, {"p": pid})["partnership"]["suggestedMeetingTimes"]
        return found if len(found) == 2 else None

    found = await asyncio.to_thread(eventually, slots, 30)
    for slot in found:
        local = {
            x["organizationId"]: datetime.fromisoformat(x["start"]) for x in slot["localStarts"]
        }
        assert (local[ids[0]].hour, local[ids[1]].hour) == (18, 17)
        assert local[ids[0]].weekday() == 1  # a Tuesday
        start, end = (datetime.fromisoformat(slot[k]) for k in ("start", "end"))
        assert (end - start).total_seconds() == 3600


async def watch(
    stack: Stack, token: str, pid: str, seen: list[Any], started: asyncio.Event
) -> None:
    """Every partnership activity until the gateway ends the subscription."""
    async with GqlClient(transport=websocket(stack, token)) as session:
        results = session.subscribe(gql(ACTIVITY), variable_values={"p": pid})
        pending = asyncio.ensure_future(results.__anext__())
        started.set()
        seen.append((await pending)["partnershipActivity"])
        async for result in results:
            seen.append(result["partnershipActivity"])


async def test_a_removed_members_subscription_ends(stack: Stack) -> None:
    net = create_network(stack, name="Revoked Live Network")
    operator = Client(stack.graphql_url, net["operatorToken"])
    a = register(operator, net["networkId"], "Live Garden")
    b = register(operator, net["networkId"], "Live School")
    admin = operator.as_(a["adminToken"])
    org_id = a["organization"]["id"]
    pair = [org_id, b["organization"]["id"]]
    pid = (await asyncio.to_thread(form, operator, "Live pair", pair))["id"]
    joined = {"org": org_id, "input": {"name": "Gil", "email": "gil@livegarden.org"}}
    member = (await asyncio.to_thread(admin.data, ADD_MEMBER, joined))["addMember"]

    seen: list[Any] = []
    started = asyncio.Event()
    watching = asyncio.create_task(watch(stack, member["token"], pid, seen, started))
    await asyncio.wait_for(started.wait(), 30)
    await asyncio.sleep(1)  # let the subscription reach the gateway before the mutation

    def check_in(win: str) -> None:
        held = {"partnershipId": pid, "heldAt": datetime.now(UTC).isoformat(), "wins": [win]}
        admin.data(CHECK_IN, {"i": held})

    def wins() -> list[list[str]]:
        return [x["data"]["wins"] for x in seen if x["kind"] == "checkin.recorded"]

    await asyncio.to_thread(check_in, "before")
    await asyncio.to_thread(eventually, lambda: wins() == [["before"]], 60)
    remove = {"org": org_id, "member": member["member"]["id"]}
    await asyncio.to_thread(admin.data, REMOVE_MEMBER, remove)
    await asyncio.to_thread(check_in, "after")
    await asyncio.wait_for(watching, 60)  # the gateway ended it
    assert wins() == [["before"]]
