"""`commonweave demo`: loads the field report's story (deploy/demo/) into a running stack
through the GraphQL API, as a newcomer's first thing to look at: organizations of every kind,
a neighborhood survey, accepted matches and two partnerships with a quarter of commitments,
check-ins, milestones, contributions, feedback, partners' updates (progress, a setback, wins)
and a resident's answer on a community voice page (posted through that public page).

The quarter is a real timeline: it ends at the network's first run (`DEMO_ANCHOR`) and each
record is written on its own day, with the commitments service's clock set to that day
(`PUT /clock`, which `commonweave run` allows) and its scheduler ticked, so health changes,
reminders and early warnings happen when they would have; partnerships form from the
accepted matches on their first day and take the plan's name, goals, cadence and need
(`updatePartnership`). Every write carries an Idempotency-Key and every time follows from the
anchor, so running it again reuses the network in `.demo.env` and writes nothing new."""

from __future__ import annotations

import heapq
import itertools
import json
import re
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

import httpx
import typer
from rich.console import Console

from deploy.shellenv import export_lines, read_exports
from shared.clients import CommitmentsClient, IntakeClient
from shared.clients.once import call_once
from shared.contracts.intake import CreatedNetwork
from shared.contracts.requests.intake import NetworkInput
from shared.errors import AppError, ErrorCode
from shared.http import ServiceClient, tls_context, validated
from shared.settings import Settings

DATA = Path(__file__).with_name("demo")
T = TypeVar("T")
QUARTER = timedelta(days=91)
WORKDAY = timedelta(hours=17)  # records are written at 17:00 UTC (mid-morning in Oregon)
console = Console(stderr=True, soft_wrap=True)

REGISTER = """mutation($i: RegisterOrganizationInput!) {
  registerOrganization(input: $i) { adminToken organization { id } } }"""
MATCHES = """query($o: ID!) { matches(organizationId: $o, first: 20) {
  edges { node { id status parties { organizationId } } } } }"""
RESPOND = """mutation($m: ID!) { respondToMatch(matchId: $m, decision: ACCEPT) { id status } }"""
PARTNERSHIPS = """query($n: ID!) { partnerships(networkId: $n, first: 50) {
  edges { node { id matchId organizationIds } } } }"""
NEEDS = """query($n: ID!, $a: String) { needs(networkId: $n, area: $a, first: 50) {
  edges { node { id focusArea severity } } } }"""
WRITES = {
    "update": """mutation($id: ID!, $i: UpdatePartnershipInput!) {
      updatePartnership(id: $id, input: $i) { id name } }""",
    "form": "mutation($i: FormPartnershipInput!) { formPartnership(input: $i) { id } }",
    "commit": "mutation($i: MakeCommitmentInput!) { makeCommitment(input: $i) { id status } }",
    "close": """mutation($id: ID!, $s: CommitmentStatus!) {
      updateCommitment(id: $id, status: $s) { id } }""",
    "checkin": "mutation($i: RecordCheckInInput!) { recordCheckIn(input: $i) { id } }",
    "milestone": "mutation($i: ReachMilestoneInput!) { reachMilestone(input: $i) { id } }",
    "contribution": "mutation($i: LogContributionInput!) { logContribution(input: $i) { id } }",
    "feedback": "mutation($i: SubmitFeedbackInput!) { submitFeedback(input: $i) { id } }",
    "post": """mutation($i: PostPartnershipUpdateInput!) {
      postPartnershipUpdate(input: $i) { id } }""",
}
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class DemoError(Exception):
    pass


@dataclass
class ServiceClock:
    """The commitments service's clock: set to each day of the quarter, then back to the
    system clock; its scheduler ticked at each, so reminders and their health changes happen
    on the days they fall due."""

    settings: Settings

    def set(self, moment: datetime | None) -> None:
        try:
            self._call(lambda commitments: commitments.set_clock(moment))
        except AppError as error:
            if error.code is ErrorCode.NOT_FOUND:
                raise DemoError(
                    "the commitments service does not let its clock be set, so the quarter "
                    "cannot be dated: start the stack with `make run` (which allows it), or set "
                    "COMMONWEAVE_CLOCK_CONTROL=true for the services"
                ) from None
            raise DemoError(f"the commitments service did not answer ({error})") from None

    def tick(self) -> None:
        try:
            self._call(lambda commitments: commitments.tick(time_limit=60))
        except AppError as error:
            raise DemoError(f"the commitments service did not answer ({error})") from None

    def _call(self, call: Callable[[CommitmentsClient], Awaitable[T]]) -> T:
        return call_once(self.settings, "commitments", lambda http: call(CommitmentsClient(http)))


@dataclass
class Api:
    url: str
    operator: str
    tokens: dict[str, str] = field(default_factory=dict)  # organization key -> admin token

    def call(self, query: str, variables: dict[str, Any], token: str, key: str = "") -> Any:
        headers = {"authorization": f"Bearer {token}"}
        if key:
            headers["idempotency-key"] = f"commonweave-demo:{key}"
        try:
            response = httpx.post(
                self.url,
                json={"query": query, "variables": variables},
                headers=headers,
                timeout=60,
                verify=tls_context(),
            )
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise DemoError(f"the gateway at {self.url} did not answer ({exc})") from None
        if body.get("errors"):
            error = body["errors"][0]
            code = error.get("extensions", {}).get("code", "")
            raise DemoError(f"{key or 'query'}: {code} {error.get('message')}")
        return body["data"]


def community_answer(gateway: str, partnership_id: str, answer: dict[str, Any], key: str) -> None:
    """A resident's answer on the partnership's public community voice page, posted as a
    browser posts it (the page's CSRF cookie and token; the form's key, so a second run of the
    demo writes nothing new)."""
    page = f"{gateway}/app/voice/partnerships/{partnership_id}"
    try:
        with httpx.Client(timeout=60, verify=tls_context()) as browser:
            found = CSRF.search(browser.get(page).text)
            form = {
                "csrf": found.group(1) if found else "",
                "idempotency_key": f"commonweave-demo:{key}",
                "rating": str(answer["rating"]),
                "story": answer.get("story", ""),
            }
            posted = browser.post(page, data=form)
    except httpx.HTTPError as exc:
        raise DemoError(f"the community voice page did not answer ({exc})") from None
    if posted.status_code == 429:  # the page's limit per address: a demo loaded many times
        console.print("[yellow]![/] the community voice page takes no more answers from this "
                      "address for a quarter hour; the resident's answer is left out")  # fmt: skip
    elif posted.status_code != 303:
        raise DemoError(f"{key}: the community voice page answered {posted.status_code}")


def waited(find: Callable[[], T | None], seconds: float = 60.0) -> T | None:
    """What `find` finds within `seconds` (events take a moment to reach other services)."""
    deadline = time.monotonic() + seconds
    while (found := find()) is None and time.monotonic() < deadline:
        time.sleep(0.5)
    return found


def without(item: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in names}


def create_network(settings: Settings, network: dict[str, str]) -> CreatedNetwork:
    body = {"name": network["name"], "region": network["region"], "time_zone": network["timeZone"]}
    if network.get("operatorEmail"):  # the coordinator signs in to /app with it
        body["operator_email"] = network["operatorEmail"]

    async def create(http: ServiceClient) -> CreatedNetwork:
        return await IntakeClient(http).create_network(validated(NetworkInput, body))

    try:
        return call_once(settings, "intake", create)
    except AppError as exc:
        raise DemoError(f"intake did not create the network ({exc}); is `make run` up?") from None


def reusable(api: Api, saved: dict[str, str]) -> bool:
    """The saved network is still there (its operator token still answers)."""
    if not saved.get("OPERATOR_TOKEN") or not saved.get("NETWORK_ID"):
        return False
    try:
        me = api.call("{ me { networkId } }", {}, saved["OPERATOR_TOKEN"])["me"]
    except DemoError:
        return False
    return bool(me) and me["networkId"] == saved["NETWORK_ID"]


def partnership_of(api: Api, network_id: str, org_ids: set[str]) -> tuple[str, bool] | None:
    """The pair's partnership (id, formed from a match), if there is one."""
    edges = api.call(PARTNERSHIPS, {"n": network_id}, api.operator)["partnerships"]["edges"]
    for edge in edges:
        if set(edge["node"]["organizationIds"]) == org_ids:
            return edge["node"]["id"], edge["node"]["matchId"] is not None
    return None


def match_of(api: Api, org: str, other: str) -> dict[str, Any] | None:
    edges = api.call(MATCHES, {"o": org}, api.operator)["matches"]["edges"]
    for edge in edges:
        if {p["organizationId"] for p in edge["node"]["parties"]} == {org, other}:
            found: dict[str, Any] = edge["node"]
            return found
    return None


def form_partnership(
    api: Api, network_id: str, plan: dict[str, Any], ids: dict[str, str]
) -> tuple[str, bool]:
    """The partnership of the plan's pair: from their accepted match when matching suggests
    them within a minute (then named, given its goals, cadence and need as planned), else
    formed directly with them. Returns (id, from a match)."""
    keys = plan["organizations"]
    pair = {ids[k] for k in keys}
    needs = api.call(NEEDS, {"n": network_id, "a": plan["needArea"]}, api.operator)["needs"]
    need = max(needs["edges"], key=lambda e: e["node"]["severity"], default=None)
    planned = {
        "name": plan["name"],
        "goals": plan["goals"],
        "checkInCadence": plan["cadence"],
        "needId": need["node"]["id"] if need else None,
    }
    found = partnership_of(api, network_id, pair)
    if found is None:
        match = waited(lambda: match_of(api, ids[keys[0]], ids[keys[1]]))
        if match is not None:
            for k in keys:
                api.call(RESPOND, {"m": match["id"]}, api.tokens[k], f"accept:{plan['key']}:{k}")
            found = waited(lambda: partnership_of(api, network_id, pair))
    if found is not None:
        pid, matched = found
        variables = {"id": pid, "i": planned}
        api.call(WRITES["update"], variables, api.tokens[keys[0]], f"update:{plan['key']}")
        return pid, matched
    body = {**planned, "organizationIds": [ids[k] for k in keys], "timeZone": "America/Los_Angeles"}
    formed = api.call(WRITES["form"], {"i": body}, api.tokens[keys[0]], f"form:{plan['key']}")
    return formed["formPartnership"]["id"], False


@dataclass
class Timeline:
    """Writes in date order across every partnership (the service clock is one clock): each
    sets the clock to its moment, then writes; at each moment a reminder falls due (a
    commitment due soon or overdue, a check-in period passing), the scheduler runs, so its
    reminders and the health they move are dated when they happened."""

    clock: ServiceClock
    steps: list[tuple[datetime, int, Callable[[], None] | None]] = field(default_factory=list)
    order: Iterator[int] = field(default_factory=itertools.count)  # same moment: as added

    def on(self, moment: datetime, run: Callable[[], None] | None) -> None:
        """`run` at `moment`; None: run the scheduler then."""
        heapq.heappush(self.steps, (moment, next(self.order), run))

    def run(self, until: datetime) -> None:
        while self.steps:
            moment, _, step = heapq.heappop(self.steps)
            if moment > until:
                continue
            self.clock.set(moment)
            if step is None:
                self.clock.tick()
            else:
                step()


CADENCE_DAYS = {"WEEKLY": 7, "BIWEEKLY": 14, "MONTHLY": 30}


def quarter_steps(
    api: Api,
    timeline: Timeline,
    plan: dict[str, Any],
    pid: str,
    ids: dict[str, str],
    start: datetime,
    formed_at: datetime,
    due_soon: timedelta,
) -> None:
    """The partnership's quarter as dated writes, each keyed and each time fixed by `start`:
    commitments made, then closed on their day (missed only after their due date), check-ins
    held on their day, milestones, contributions and feedback; and the scheduler run when
    each of its reminders falls due."""
    key, lead = plan["key"], api.tokens[plan["organizations"][0]]
    minute = timedelta(minutes=1)
    cadence = timedelta(days=CADENCE_DAYS[plan["cadence"]])
    held = [formed_at, *(start + timedelta(days=c["day"]) + WORKDAY for c in plan["checkIns"])]
    for since, following in zip(held, [*held[1:], start + QUARTER + QUARTER], strict=True):
        due = since + cadence
        while due < following:  # a check-in period passing without one
            timeline.on(due + minute, None)
            due += cadence
    for c in plan["commitments"]:
        due = start + timedelta(days=c["dueDay"]) + WORKDAY
        timeline.on(due - due_soon + minute, None)
        timeline.on(due + minute, None)

    def day(n: float) -> datetime:
        return start + timedelta(days=n) + WORKDAY

    def write(when: float, kind: str, n: int, variables: dict[str, Any], token: str = lead) -> None:
        timeline.on(
            day(when), lambda: api.call(WRITES[kind], variables, token, f"{kind}:{key}:{n}")
        )

    made: dict[int, str] = {}  # commitment n -> its id, once made
    for n, c in enumerate(plan["commitments"]):
        if c.get("close") == "MISSED" and c["closeDay"] <= c["dueDay"]:
            raise DemoError(f"{key}: “{c['title']}” would be missed before it is due")
        owner = api.tokens[c["owner"]]
        body = {
            "partnershipId": pid,
            "ownerOrganizationId": ids[c["owner"]],
            "title": c["title"],
            "kind": c["kind"],
            "quantity": c.get("quantity"),
            "unit": c.get("unit"),
            "dueAt": day(c["dueDay"]).isoformat(),
        }

        def make(n: int = n, body: dict[str, Any] = body, owner: str = owner) -> None:
            found = api.call(WRITES["commit"], {"i": body}, owner, f"commit:{key}:{n}")
            made[n] = found["makeCommitment"]["id"]

        def close(n: int = n, status: str = c.get("close", ""), owner: str = owner) -> None:
            variables = {"id": made[n], "s": status}
            api.call(WRITES["close"], variables, owner, f"close:{key}:{n}")

        timeline.on(day(c["madeDay"]), make)
        if c.get("close"):
            timeline.on(day(c["closeDay"]), close)
    for n, c in enumerate(plan["checkIns"]):
        body = {"partnershipId": pid, "heldAt": day(c["day"]).isoformat(), **without(c, "day")}
        write(c["day"], "checkin", n, {"i": body})
    for n, m in enumerate(plan["milestones"]):
        write(m["day"], "milestone", n, {"i": {"partnershipId": pid, **without(m, "day")}})
    for n, c in enumerate(plan["contributions"]):
        org = c["organization"]
        body = {"partnershipId": pid, "organizationId": ids[org]}
        write(c["day"], "contribution", n, {"i": body | without(c, "organization", "day")},
              api.tokens[org])  # fmt: skip
    for n, f in enumerate(plan["feedback"]):
        body = {"partnershipId": pid, **without(f, "by", "day")}
        write(f["day"], "feedback", n, {"i": body}, api.tokens[f["by"]])
    for n, u in enumerate(plan.get("updates", [])):
        body = {"partnershipId": pid, **without(u, "by", "day")}
        write(u["day"], "post", n, {"i": body}, api.tokens[u["by"]])
    gateway = api.url.removesuffix("/graphql")
    for n, v in enumerate(plan.get("communityVoice", [])):
        answer = partial(community_answer, gateway, pid, v, f"voice:{key}:{n}")
        timeline.on(day(v["day"]), answer)


def load(settings: Settings, env_file: Path, fresh: bool) -> dict[str, str]:
    story = json.loads((DATA / "network.json").read_text(encoding="utf-8"))
    graphql_url = f"{settings.url_of('gateway')}/graphql"
    saved = {} if fresh else read_exports(env_file)
    api = Api(graphql_url, saved.get("OPERATOR_TOKEN", ""))
    if reusable(api, saved):
        console.print(f"[green]✓[/] reusing network {saved['NETWORK_ID']} from {env_file}")
        network_id, join_code = saved["NETWORK_ID"], saved["JOIN_CODE"]
        anchor = saved["DEMO_ANCHOR"]
    else:
        created = create_network(settings, story["network"])
        network_id, join_code = created.network_id, created.join_code
        api.operator = created.operator_token
        anchor = datetime.now(UTC).replace(microsecond=0).isoformat()
        console.print(f"[green]✓[/] network {network_id} ({story['network']['name']})")
    result = {
        "GRAPHQL_URL": graphql_url,
        "NETWORK_ID": network_id,
        "OPERATOR_TOKEN": api.operator,
        "JOIN_CODE": join_code,
        "DEMO_ANCHOR": anchor,
    }
    env_file.write_text(export_lines(result), encoding="utf-8")  # the token is shown once
    ids: dict[str, str] = {}
    for key, profile in story["organizations"].items():
        body = {"networkId": network_id, **profile}
        answer = api.call(REGISTER, {"i": body}, api.operator, f"register:{key}")
        ids[key] = answer["registerOrganization"]["organization"]["id"]
        api.tokens[key] = answer["registerOrganization"]["adminToken"]
    console.print(f"[green]✓[/] {len(ids)} organizations")
    survey = (DATA / "survey.csv").read_text(encoding="utf-8")
    imported = api.call(
        "mutation($n: ID!, $c: String!) { importSurvey(networkId: $n, csv: $c) "
        "{ needsCreated rowsImported rowsRejected } }",
        {"n": network_id, "c": survey},
        api.operator,
    )["importSurvey"]
    console.print(
        f"[green]✓[/] survey: {imported['rowsImported']} rows, {imported['needsCreated']} needs "
        f"({imported['rowsRejected']} row rejected on purpose)"
    )
    anchored = datetime.fromisoformat(anchor)
    # the quarter's days start at midnight UTC, so records fall at WORKDAY on each
    start = datetime(anchored.year, anchored.month, anchored.day, tzinfo=UTC) - QUARTER
    timeline = Timeline(ServiceClock(settings))

    def formed_at(plan: dict[str, Any]) -> datetime:
        return start + timedelta(days=plan["formedDay"]) + WORKDAY - timedelta(hours=1)

    partnerships: dict[str, str] = {}

    def formation(plan: dict[str, Any]) -> Callable[[], None]:
        def form() -> None:
            pid, matched = form_partnership(api, network_id, plan, ids)
            partnerships[plan["key"]] = pid
            due_soon = timedelta(hours=settings.commitment_due_soon_hours)
            quarter_steps(api, timeline, plan, pid, ids, start, formed_at(plan), due_soon)
            how = "from an accepted match" if matched else "formed directly (no match in time)"
            console.print(f"[green]✓[/] partnership {plan['name']} {pid}: {how}")

        return form

    for plan in story["partnerships"]:
        timeline.on(formed_at(plan), formation(plan))
    try:
        timeline.run(until=anchored)
    finally:
        timeline.clock.set(None)  # back to the system clock, whatever happened
    console.print(
        f"[green]✓[/] a quarter recorded, {start.date().isoformat()} to "
        f"{anchored.date().isoformat()}"
    )
    first = story["partnerships"][0]["organizations"][0]
    variables = json.dumps({"networkId": network_id})
    result |= {
        "ADMIN_TOKEN": api.tokens[first],
        "ORGANIZATION_ID": ids[first],
        "PARTNERSHIP_ID": partnerships[story["partnerships"][0]["key"]],
        # no token in a URL (browser history, logs, Referer): paste $ADMIN_TOKEN in Headers
        "GRAPHIQL_URL": f"{graphql_url}?variables={quote(variables)}",
        "DASHBOARD_URL": f"{settings.url_of('gateway')}/dashboard",
        "APP_URL": f"{settings.url_of('gateway')}/app",
    }
    result |= {f"DEMO_TOKEN_{key.upper()}": token for key, token in api.tokens.items()}
    env_file.write_text(export_lines(result), encoding="utf-8")
    return result


def demo(
    env_file: Annotated[Path, typer.Option(help="Where the export lines are kept")] = Path(
        ".demo.env"
    ),
    fresh: Annotated[bool, typer.Option(help="A new network even if .demo.env has one")] = False,
) -> None:
    """Load a demo network into the running stack; prints (and keeps in .demo.env) the
    variables to use. Running it again reuses that network and writes nothing new."""
    try:
        values = load(Settings(), env_file, fresh)
    except DemoError as error:
        console.print(f"[red]error:[/] {error}")
        if "CONFLICT" in str(error):
            console.print("its first answers have expired; `--fresh` loads a new network")
        raise typer.Exit(1) from None
    print(export_lines(values), end="")
    console.print(f"# kept in {env_file}: `. ./{env_file}` sets them; GraphiQL: $GRAPHIQL_URL")
