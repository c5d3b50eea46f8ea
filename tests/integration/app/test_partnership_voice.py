"""The shared space and the community's voice on a real stack: a partner's update reaches the
other partner live (partnershipActivity over graphql-transport-ws) and in their inbox, and its
win becomes a milestone once; a resident answers the public community voice page with no
sign-in, the partners' inbox hears of it, health's feedback part counts it as the `community`
source, and the contact is shown to the partners only (never to the operator, never on the
public page); a honeypot-filled post and a flood from one address write nothing."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
from gql import Client as GqlClient
from gql import gql

from deploy.stack import Stack
from tests.integration.commitments.test_live import websocket
from tests.support import http
from tests.support.app import hidden
from tests.support.organizations import register
from tests.support.partnerships import form
from tests.support.stack import Client, create_network
from tests.support.wait import eventually

ACTIVITY = """subscription($p: ID!) { partnershipActivity(partnershipId: $p) {
  kind partnershipId subjectId data } }"""
POST = """mutation($i: PostPartnershipUpdateInput!) { postPartnershipUpdate(input: $i) {
  id kind text organizationId postedAt milestoneId } }"""
MILESTONE = """mutation($i: ReachMilestoneInput!) { reachMilestone(input: $i) { id title } }"""
VOICE = """query($p: ID!) { partnership(id: $p) {
  health { score parts { name score weight detail sources { name score weight count detail } } }
  updates { edges { node { id kind milestoneId } } }
  milestones { edges { node { id title } } }
  communityResponses { edges { node { id rating story contact needId } } } } }"""
INBOX = "{ notifications(first: 20) { edges { node { kind title body } } } }"


def partners(stack: Stack, name: str) -> tuple[Client, Client, Client, str, str]:
    """A network's operator, two partner organizations' admins, their partnership and the
    network's id."""
    net = create_network(stack, name=name)
    operator = Client(stack.graphql_url, net["operatorToken"])
    pantry = register(operator, net["networkId"], f"{name} Pantry")
    school = register(operator, net["networkId"], f"{name} School")
    ids = [pantry["organization"]["id"], school["organization"]["id"]]
    pid = form(operator, f"{name} Meals", ids)["id"]
    return (
        operator,
        operator.as_(pantry["adminToken"]),
        operator.as_(school["adminToken"]),
        pid,
        net["networkId"],
    )


def inbox(client: Client) -> list[dict[str, Any]]:
    return [e["node"] for e in client.data(INBOX)["notifications"]["edges"]]


async def first_update(stack: Stack, token: str, pid: str, started: asyncio.Event) -> Any:
    async with GqlClient(transport=websocket(stack, token)) as session:
        results = session.subscribe(gql(ACTIVITY), variable_values={"p": pid})
        pending = asyncio.ensure_future(results.__anext__())
        started.set()
        result = await pending
        while result["partnershipActivity"]["kind"] != "partnership.update_posted":
            result = await results.__anext__()
        await results.aclose()
        return result["partnershipActivity"]


async def test_an_update_reaches_the_other_partner_live_and_in_the_inbox(stack: Stack) -> None:
    _, pantry, school, pid, _ = partners(stack, "Update")
    started = asyncio.Event()
    watching = asyncio.create_task(first_update(stack, school.token or "", pid, started))
    await asyncio.wait_for(started.wait(), 30)
    await asyncio.sleep(1)  # the subscription reaches the gateway before the mutation
    win = {"partnershipId": pid, "kind": "WIN", "text": "40 families at the first dinner"}
    posted = (await asyncio.to_thread(pantry.data, POST, {"i": win}))["postPartnershipUpdate"]
    assert posted["kind"] == "WIN" and posted["milestoneId"] is None

    live = await asyncio.wait_for(watching, 60)
    assert (live["kind"], live["subjectId"]) == ("partnership.update_posted", pid)
    assert live["data"]["update_id"] == posted["id"] and live["data"]["kind"] == "win"

    def told() -> list[dict[str, Any]]:
        return [n for n in inbox(school) if n["kind"] == "partnership.update_posted"]

    [note] = eventually(told, timeout=30)
    assert note["title"] == "A win in Update Meals" and "40 families" in note["body"]
    assert not [n for n in inbox(pantry) if n["kind"] == "partnership.update_posted"]

    # the win becomes a milestone once; a setback cannot
    milestone = {"partnershipId": pid, "title": win["text"], "updateId": posted["id"]}
    made = pantry.data(MILESTONE, {"i": milestone})["reachMilestone"]
    again = school.errors(MILESTONE, {"i": milestone})
    assert again[0]["extensions"]["code"] == "CONFLICT"
    setback = pantry.data(POST, {"i": {**win, "kind": "SETBACK", "text": "Oven broke"}})
    refused = pantry.errors(
        MILESTONE, {"i": {**milestone, "updateId": setback["postPartnershipUpdate"]["id"]}}
    )
    assert refused[0]["extensions"]["field"] == "input.updateId"
    found = school.data(VOICE, {"p": pid})["partnership"]
    assert [m["node"]["id"] for m in found["milestones"]["edges"]] == [made["id"]]
    kinds = [(u["node"]["kind"], u["node"]["milestoneId"]) for u in found["updates"]["edges"]]
    assert kinds == [("SETBACK", None), ("WIN", made["id"])]  # newest first
    empty = pantry.errors(POST, {"i": {**win, "text": "  "}})
    assert empty[0]["extensions"]["field"] == "input.text"


def answer(url: str, path: str, **fields: str) -> httpx.Response:
    """A resident's browser without script: open the page, send its form."""
    client = httpx.Client(base_url=url, timeout=30)
    page = client.get(path)
    assert page.status_code == 200, page.text
    return client.post(path, data={**hidden(page.text), **fields})


def test_a_residents_answer_reaches_the_partners_and_health_as_the_community_source(
    stack: Stack,
) -> None:
    operator, pantry, school, pid, _ = partners(stack, "Voice")
    url = stack.settings.url_of("gateway")
    path = f"/app/voice/partnerships/{pid}"
    public = http.get(f"{url}{path}", timeout=30)
    assert "Voice Meals" in public.text and "Voice Pantry" in public.text
    assert 'name="website"' in public.text and "Content-Security-Policy" in public.headers

    missing = answer(url, path, story="No rating given")
    assert missing.status_code == 400 and 'href="#field-rating"' in missing.text
    sent = answer(url, path, rating="2", story="The bus does not stop there", contact="555-0101")
    assert sent.status_code == 303 and sent.headers["location"].endswith("/thanks")

    def told(client: Client) -> list[dict[str, Any]]:
        return [n for n in inbox(client) if n["kind"] == "community.response_received"]

    for partner in (pantry, school):
        [note] = eventually(lambda p=partner: told(p), timeout=30)  # type: ignore[misc]
        assert "Rated 2/5" in note["body"] and "bus does not stop" in note["body"]
        assert "555-0101" not in note["body"]  # the contact is never in a message

    found = school.data(VOICE, {"p": pid})["partnership"]
    [part] = [p for p in found["health"]["parts"] if p["name"] == "feedback"]
    assert [(s["name"], s["score"], s["weight"], s["count"]) for s in part["sources"]] == [
        ("community", 0.25, 0.4, 1)
    ]
    [response] = [e["node"] for e in found["communityResponses"]["edges"]]
    assert response["contact"] == "555-0101" and response["rating"] == 2
    seen_by_operator = operator.data(VOICE, {"p": pid})["partnership"]
    assert seen_by_operator["communityResponses"]["edges"][0]["node"]["contact"] is None
    again = http.get(f"{url}{path}", timeout=30).text
    assert "555-0101" not in again and "bus does not stop" not in again

    # the partners' feedback blends with the residents' (0.6 and 0.4)
    pantry.data(
        "mutation($i: SubmitFeedbackInput!) { submitFeedback(input: $i) { id } }",
        {"i": {"partnershipId": pid, "rating": 5}},
    )
    found = school.data(VOICE, {"p": pid})["partnership"]
    [part] = [p for p in found["health"]["parts"] if p["name"] == "feedback"]
    assert {s["name"] for s in part["sources"]} == {"partners", "community"}
    assert abs(part["score"] - (0.6 * 1.0 + 0.4 * 0.25)) < 1e-3


def test_a_honeypot_post_or_a_flood_writes_nothing_and_a_needs_answer_reaches_the_coordinator(
    stack: Stack,
) -> None:
    operator, _, _, _, network = partners(stack, "Need")
    need = operator.data(
        "mutation($i: ReportNeedInput!) { reportNeed(input: $i) { need { id } } }",
        {"i": {"networkId": network, "title": "Broken streetlights", "focusArea": "safety",
               "area": "Riverside", "severity": 3}},
    )["reportNeed"]["need"]["id"]  # fmt: skip
    url = stack.settings.url_of("gateway")
    path = f"/app/voice/needs/{need}"
    assert "Broken streetlights" in http.get(f"{url}{path}", timeout=30).text

    robot = answer(url, path, rating="1", story="Buy cheap pills", website="http://spam.example")
    assert robot.status_code == 400 and "could not take your answer" in robot.text

    def told() -> list[dict[str, Any]]:
        return [n for n in inbox(operator) if n["kind"] == "community.response_received"]

    sent = [answer(url, path, rating="4", story=f"Answer {n}").status_code for n in range(6)]
    assert 303 in sent and sent[-1] == 429  # five per address in 15 minutes, across replicas
    accepted = sent.count(303)
    eventually(lambda: len(told()) == accepted, timeout=30)
    bodies = " ".join(n["body"] for n in told())
    assert "Buy cheap pills" not in bodies
    assert len(re.findall(r"Answer \d", bodies)) == accepted
    assert http.get(f"{url}/app/voice/needs/nope", timeout=30).status_code == 404
