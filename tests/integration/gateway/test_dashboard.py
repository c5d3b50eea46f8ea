"""The dashboard in a real browser: Debian's headless chromium signs in at /dashboard with a
token through the form, against a demo network (`commonweave demo`'s loader), and each panel
shows the numbers the GraphQL API gives that same token; a second network's names and ids
never appear. Outside CI the test skips when chromium is missing; in CI it fails instead.

`COMMONWEAVE_DASHBOARD_SCREENSHOT=docs/dashboard.png` also writes the operator's page there,
`COMMONWEAVE_PARTNERSHIP_SCREENSHOT` the demo partnership's page (`make screenshots`)."""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest

from deploy.demo import load
from deploy.stack import Stack
from services.gateway.dashboard.queries import LINKS
from tests.support import http
from tests.support.browser import Browser, chromium_path
from tests.support.partnerships import COMMIT, set_clock
from tests.support.stack import Client, create_network

NEEDS = """query($n: ID!) { needs(networkId: $n, first: 100) {
  edges { node { id area severity } } pageInfo { hasNextPage } } }"""
PARTNERSHIPS = """query($n: ID!) { partnerships(networkId: $n, first: 50) {
  edges { node { id needId health { score label } healthHistory { at } healthWarnings { at }
    commitments(status: OPEN, first: 100) { edges { node { dueAt } } }
    contributionTotals { kind count estimatedValue } } } } }"""
OTHER = "Zephyr"  # every name in the other network has it


PROPOSE_LINK = """mutation($n: ID!, $o: ID!) {
  proposeNetworkLink(networkId: $n, otherNetworkId: $o) { id } }"""


class Elements(HTMLParser):
    """The page's elements that carry data-* attributes, as attribute dicts."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[dict[str, str]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if any(name.startswith("data-") for name in values):
            self.found.append(values)

    def having(self, name: str) -> list[dict[str, str]]:
        return [e for e in self.found if name in e]

    def by_id(self, ident: str) -> dict[str, str]:
        return next(e for e in self.found if e.get("id") == ident)


@pytest.fixture(scope="module")
def chromium() -> str:
    return chromium_path()


@pytest.fixture(scope="module")
def demo(stack: Stack, gql: Client, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The demo network, with one commitment overdue and one due in three days (the demo's
    open ones are weeks away): made while the commitments service's clock is set back."""
    loaded = load(stack.settings, tmp_path_factory.mktemp("demo") / ".demo.env", fresh=True)
    admin = gql.as_(loaded["ADMIN_TOKEN"])
    now = datetime.now(UTC)
    for title, due, clock in (
        ("Return the borrowed ladders", now - timedelta(days=4), now - timedelta(days=10)),
        ("Send the spring newsletter", now + timedelta(days=3), None),
    ):
        set_clock(stack, clock)
        body = {
            "partnershipId": loaded["PARTNERSHIP_ID"],
            "title": title,
            "ownerOrganizationId": loaded["ORGANIZATION_ID"],
            "dueAt": due.isoformat(),
        }
        admin.data(COMMIT, {"i": body})
    set_clock(stack, None)
    return loaded


@pytest.fixture(scope="module")
def other_network(stack: Stack, gql: Client) -> dict[str, str]:
    """A second network with a need, two organizations and their partnership."""
    created = create_network(stack, name=f"{OTHER} Harbor Network")
    operator = gql.as_(created["operatorToken"])
    n = created["networkId"]
    register = """mutation($i: RegisterOrganizationInput!) {
      registerOrganization(input: $i) { organization { id } } }"""
    orgs = [
        operator.data(
            register,
            {"i": {"networkId": n, "name": f"{OTHER} {name}", "admin": {"name": "Z", "email": e}}},
        )["registerOrganization"]["organization"]["id"]
        for name, e in (("Lighthouse Guild", "z@guild.example"), ("Tide Club", "z@tide.example"))
    ]
    need = operator.data(
        """mutation($i: ReportNeedInput!) { reportNeed(input: $i) { need { id } } }""",
        {
            "i": {
                "networkId": n,
                "title": f"{OTHER} quay flooding",
                "focusArea": "environment",
                "area": f"{OTHER} Quay",
                "severity": 5,
            }
        },
    )["reportNeed"]["need"]["id"]
    partnership = operator.data(
        "mutation($i: FormPartnershipInput!) { formPartnership(input: $i) { id } }",
        {"i": {"name": f"{OTHER} Tidewatch", "organizationIds": orgs}},
    )["formPartnership"]["id"]
    return {"networkId": n, "need": need, "partnership": partnership, "a": orgs[0], "b": orgs[1]}


@pytest.fixture
def browser(chromium: str, tmp_path: Path) -> Iterator[Browser]:
    running = Browser(chromium, tmp_path / "profile")
    try:
        yield running
    finally:
        running.close()


def dashboard_url(stack: Stack) -> str:
    return f"{stack.settings.url_of('gateway')}/dashboard"


def signed_in(browser: Browser, stack: Stack, token: str) -> str:
    browser.open(dashboard_url(stack))
    assert 'action="/dashboard/sign-in"' in browser.html()
    browser.submit("form", token=token)
    html = browser.html()
    assert 'id="needs"' in html, html[:3000]
    return html


def expected(api: Client, network_id: str) -> dict[str, Any]:
    """The panels' figures, computed here from the API's own answers."""
    needs_page = api.data(NEEDS, {"n": network_id})["needs"]
    assert not needs_page["pageInfo"]["hasNextPage"]
    needs = [e["node"] for e in needs_page["edges"]]
    partnerships = [
        e["node"] for e in api.data(PARTNERSHIPS, {"n": network_id})["partnerships"]["edges"]
    ]
    now = datetime.now(UTC)
    due = [
        datetime.fromisoformat(c["node"]["dueAt"])
        for p in partnerships
        for c in p["commitments"]["edges"]
    ]
    kinds: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    for p in partnerships:
        for t in p["contributionTotals"]:
            kinds[t["kind"]][0] += t["count"]
            kinds[t["kind"]][1] += t["estimatedValue"]
    taken = {p["needId"] for p in partnerships}
    return {
        "cells": Counter((n["area"], n["severity"]) for n in needs),
        "needs": len(needs),
        "unmatched": {n["id"] for n in needs if n["id"] not in taken},
        "health": {
            p["id"]: (
                p["health"]["score"],
                p["health"]["label"],
                len(p["healthHistory"]) or 1,  # the current health alone while there is none
                len(p["healthWarnings"]),
            )
            for p in partnerships
        },
        "overdue": sum(d < now for d in due),
        "soon": sum(now <= d <= now + timedelta(days=14) for d in due),
        "kinds": {k: (int(v[0]), v[1]) for k, v in kinds.items()},
    }


def assert_panels_match(html: str, want: dict[str, Any]) -> None:
    page = Elements(html)
    assert int(page.by_id("needs")["data-count"]) == want["needs"]
    cells: Counter[tuple[str, int]] = Counter()  # each row names its area, its cells the counts
    area = ""
    for element in page.found:
        if "data-area" in element:
            area = element["data-area"]
        elif "data-severity" in element and int(element["data-n"]):
            cells[(area, int(element["data-severity"]))] = int(element["data-n"])
    assert cells == want["cells"]
    assert {e["data-need-id"] for e in page.having("data-need-id")} == want["unmatched"]
    assert int(page.by_id("unmatched")["data-count"]) == len(want["unmatched"])
    shown = {
        e["data-partnership-id"]: (
            float(e["data-score"]),
            e["data-label"],
            int(e["data-points"]),
            int(e["data-warnings"]),
        )
        for e in page.having("data-partnership-id")
    }
    assert shown == want["health"]
    commitments = page.by_id("commitments")
    assert int(commitments["data-overdue"]) == want["overdue"]
    assert int(commitments["data-due-soon"]) == want["soon"]
    kinds = {
        e["data-kind"]: (int(e["data-count"]), float(e["data-value"]))
        for e in page.having("data-kind")
        if int(e["data-count"])
    }
    assert kinds == want["kinds"]


def test_each_panel_shows_the_apis_numbers_to_the_operator(
    stack: Stack,
    gql: Client,
    demo: dict[str, str],
    other_network: dict[str, str],
    browser: Browser,
) -> None:
    html = signed_in(browser, stack, demo["OPERATOR_TOKEN"])
    want = expected(gql.as_(demo["OPERATOR_TOKEN"]), demo["NETWORK_ID"])
    assert want["needs"] > 5 and len(want["health"]) == 2 and want["kinds"]  # a demo-sized network
    assert want["overdue"] == 1 and want["soon"] == 1
    assert any(points > 1 for _, _, points, _ in want["health"].values())  # a line, not a dot
    assert_panels_match(html, want)
    assert 'data-role="OPERATOR"' in html and "Lane Demo Network" in html
    assert html.count('src="data:image/svg+xml;base64,') >= 4  # needs, contributions, sparklines
    links = gql.as_(demo["OPERATOR_TOKEN"]).data(LINKS, {"n": demo["NETWORK_ID"]})
    assert f'id="links" data-count="{len(links["network"]["links"])}"' in html
    linked = create_network(stack, name="Coast Linked Network")
    proposed = gql.as_(demo["OPERATOR_TOKEN"]).data(
        PROPOSE_LINK, {"n": demo["NETWORK_ID"], "o": linked["networkId"]}
    )["proposeNetworkLink"]
    browser.open(dashboard_url(stack))  # still signed in
    html = browser.html()
    assert f'id="links" data-count="{len(links["network"]["links"]) + 1}"' in html
    assert f'data-link-id="{proposed["id"]}" data-status="PROPOSED"' in html
    assert "Coast Linked Network" in html
    assert OTHER not in html
    assert all(ident not in html for ident in other_network.values())
    if target := os.environ.get("COMMONWEAVE_DASHBOARD_SCREENSHOT"):
        browser.screenshot(Path(target))


def test_a_member_sees_only_its_organizations_partnerships(
    stack: Stack,
    gql: Client,
    demo: dict[str, str],
    other_network: dict[str, str],
    browser: Browser,
) -> None:
    html = signed_in(browser, stack, demo["ADMIN_TOKEN"])
    member = gql.as_(demo["ADMIN_TOKEN"])
    want = expected(member, demo["NETWORK_ID"])
    assert len(want["health"]) == 1  # of the demo's two
    assert_panels_match(html, want)
    assert 'data-role="ORG_ADMIN"' in html
    assert OTHER not in html
    assert all(ident not in html for ident in other_network.values())


def test_the_other_networks_operator_sees_only_its_own(
    stack: Stack,
    gql: Client,
    demo: dict[str, str],
    other_network: dict[str, str],
    browser: Browser,
) -> None:
    token = create_network(stack, name="Third Network")["operatorToken"]
    html = signed_in(browser, stack, token)
    assert "Third Network" in html and "Lane Demo Network" not in html
    page = Elements(html)
    assert page.by_id("needs")["data-count"] == "0" and not page.having("data-partnership-id")
    assert demo["PARTNERSHIP_ID"] not in html and OTHER not in html


def test_sign_in_refuses_bad_tokens_and_other_origins(stack: Stack, demo: dict[str, str]) -> None:
    url = dashboard_url(stack)
    bad = http.post(f"{url}/sign-in", data={"token": "not-a-token"}, timeout=30)
    assert bad.status_code == 401 and "set-cookie" not in bad.headers
    assert "Not signed in" in bad.text
    elsewhere = http.post(
        f"{url}/sign-in",
        data={"token": demo["OPERATOR_TOKEN"]},
        headers={"origin": "https://evil.example"},
        timeout=30,
    )
    assert elsewhere.status_code == 403 and "set-cookie" not in elsewhere.headers
    good = http.post(f"{url}/sign-in", data={"token": demo["OPERATOR_TOKEN"]}, timeout=30)
    assert good.status_code == 303
    cookie = good.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/dashboard" in cookie
    page = http.get(url, cookies=good.cookies, timeout=30)
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'none'
    assert page.headers["cache-control"] == "no-store" and "<script" not in page.text
    # the cookie opens the dashboard only: GraphQL takes the Authorization header
    graphql = http.post(
        f"{stack.settings.url_of('gateway')}/graphql",
        json={"query": "{ me { role } }"},
        cookies=good.cookies,
        timeout=30,
    )
    assert graphql.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_partnerships_charts_are_images_for_its_parties_only(
    stack: Stack, gql: Client, demo: dict[str, str], other_network: dict[str, str]
) -> None:
    base = f"{dashboard_url(stack)}/partnerships"
    ids = [
        e["node"]["id"]
        for e in gql.as_(demo["OPERATOR_TOKEN"]).data(
            "query($n: ID!) { partnerships(networkId: $n) { edges { node { id } } } }",
            {"n": demo["NETWORK_ID"]},
        )["partnerships"]["edges"]
    ]
    theirs = next(i for i in ids if i != demo["PARTNERSHIP_ID"])

    def get(ident: str, chart: str, token: str | None) -> httpx.Response:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        return http.get(f"{base}/{ident}/{chart}.svg", headers=headers, timeout=30)

    for chart in ("health", "contributions"):
        answer = get(demo["PARTNERSHIP_ID"], chart, demo["ADMIN_TOKEN"])
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("image/svg+xml")
        assert answer.text.lstrip().startswith("<svg")
        assert get(demo["PARTNERSHIP_ID"], chart, None).status_code == 401
        assert get(theirs, chart, demo["ADMIN_TOKEN"]).status_code == 403  # not a party
        assert get(other_network["partnership"], chart, demo["OPERATOR_TOKEN"]).status_code == 404
        assert get(theirs, chart, demo["OPERATOR_TOKEN"]).status_code == 200
    assert (
        "Volunteer hours" in get(demo["PARTNERSHIP_ID"], "contributions", demo["ADMIN_TOKEN"]).text
    )


def test_a_partnerships_page_charts_its_health_over_time_for_its_parties_only(
    stack: Stack,
    gql: Client,
    demo: dict[str, str],
    other_network: dict[str, str],
    browser: Browser,
) -> None:
    ident = demo["PARTNERSHIP_ID"]
    found = gql.as_(demo["ADMIN_TOKEN"]).data(
        """query($id: ID!) { partnership(id: $id) { name needId formedAt health { score }
          trend healthHistory { at score } healthWarnings { at score } } }""",
        {"id": ident},
    )["partnership"]
    # the demo's quarter is a timeline: the plan's name and need, points across three months
    # from formation on, and its warning dated within them with the score it fell to
    assert found["name"] == "Westside School Recycling" and found["needId"]
    dates = [datetime.fromisoformat(p["at"]) for p in found["healthHistory"]]
    assert dates[0] == datetime.fromisoformat(found["formedAt"])
    assert dates[-1] - dates[0] > timedelta(days=80)
    [warning] = found["healthWarnings"]
    assert datetime.fromisoformat(warning["at"]) in dates
    assert found["trend"] == "DECLINING" and found["health"]["score"] <= warning["score"]
    dashboard = signed_in(browser, stack, demo["ADMIN_TOKEN"])
    assert f'href="/dashboard/partnerships/{ident}"' in dashboard
    browser.open(f"{dashboard_url(stack)}/partnerships/{ident}")
    html = browser.html()
    page = Elements(html).by_id("partnership")
    assert int(page["data-points"]) == len(found["healthHistory"]) > 1
    assert int(page["data-warnings"]) == len(found["healthWarnings"])
    assert float(page["data-score"]) == found["health"]["score"]
    rows = Elements(html).having("data-at")
    assert [r["data-at"] for r in rows] == [
        datetime.fromisoformat(p["at"]).isoformat() for p in found["healthHistory"]
    ]
    assert 'src="data:image/svg+xml;base64,' in html and "Chart of health over time" in html
    if target := os.environ.get("COMMONWEAVE_PARTNERSHIP_SCREENSHOT"):
        browser.screenshot(Path(target))
    # the image for any client carries its values as text
    svg = http.get(
        f"{dashboard_url(stack)}/partnerships/{ident}/health.svg",
        headers={"authorization": f"Bearer {demo['ADMIN_TOKEN']}"},
        timeout=30,
    ).text
    assert 'role="img"' in svg and f"Now {found['health']['score']:.2f}" in svg
    # another network's operator: the same plain page as for a partnership that is not there
    stranger = create_network(stack, name="Stranger Network")["operatorToken"]
    browser.submit('form[action="/dashboard/sign-out"]')
    signed_in(browser, stack, stranger)
    browser.open(f"{dashboard_url(stack)}/partnerships/{ident}")
    html = browser.html()
    assert "Nothing to show here" in html and found["name"] not in html
    browser.open(f"{dashboard_url(stack)}/partnerships/{other_network['partnership']}x")
    assert "Nothing to show here" in browser.html()


DEMO_VOICES = """query($id: ID!) { partnership(id: $id) {
  updates(first: 20) { edges { node { kind text postedAt } } }
  communityResponses(first: 20) { edges { node { rating story submittedAt } } } } }"""


def test_the_demo_posts_partners_updates_and_a_residents_answer_within_its_quarter(
    gql: Client, demo: dict[str, str]
) -> None:
    found = gql.as_(demo["OPERATOR_TOKEN"]).data(DEMO_VOICES, {"id": demo["PARTNERSHIP_ID"]})
    updates = [e["node"] for e in found["partnership"]["updates"]["edges"]]
    assert sorted(u["kind"] for u in updates) == ["PROGRESS", "SETBACK", "WIN"]
    [answer] = [e["node"] for e in found["partnership"]["communityResponses"]["edges"]]
    assert answer["rating"] == 5 and "sort our recycling" in answer["story"]
    anchor = datetime.fromisoformat(demo["DEMO_ANCHOR"])
    for when in [u["postedAt"] for u in updates] + [answer["submittedAt"]]:
        assert anchor - timedelta(days=91) < datetime.fromisoformat(when) < anchor
