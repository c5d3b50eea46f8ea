"""The workspace at /app in Debian's headless chromium (Playwright), against a real stack with
a real SMTP server (aiosmtpd): people sign in by the one-time link they were emailed and act
through the pages only. Every page visited is checked with axe-core, also at 375 px wide.

`COMMONWEAVE_APP_SCREENSHOTS=docs` also writes the pages' screenshots there (app-*.png)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from deploy.stack import Stack
from tests.support import http
from tests.support.app import Audit, hidden, http_session, sign_in
from tests.support.links import PROPOSE
from tests.support.matches import matches_of
from tests.support.notifications import Mailbox
from tests.support.organizations import ADD_MEMBER, outreach_and_funder, register_admin
from tests.support.stack import Client
from tests.support.wait import eventually

COORDINATOR = "coordinator@lane.example.org"
DOMAIN = "journeys.example.org"  # the partners' admins' (other modules register them too)
OUTREACH = f"admin@neighbors-united.{DOMAIN}"
FUNDER = f"admin@lane-community-foundation.{DOMAIN}"
SHOTS = os.environ.get("COMMONWEAVE_APP_SCREENSHOTS")
PARTNERSHIP = """query($id: ID!) { partnership(id: $id) {
  commitments(first: 50) { edges { node { title status } } }
  checkIns(first: 20) { edges { node { id } } }
  milestones(first: 20) { edges { node { title } } } } }"""


@pytest.fixture(scope="module")
def audit() -> Iterator[Audit]:
    found = Audit()
    yield found
    print(f"\naxe-core: {found.pages} page checks, serious or critical: {found.found}")


def new_network(stack: Stack, name: str, operator_email: str) -> dict[str, str]:
    response = http.post(
        f"{stack.service_url('intake')}/networks",
        json={
            "name": name,
            "region": "Lane County",
            "time_zone": "America/Los_Angeles",
            "operator_email": operator_email,
        },
        headers={"X-Service-Token": stack.settings.service_token.get_secret_value()},
        timeout=10,
    )
    response.raise_for_status()
    created: dict[str, str] = response.json()
    return created


@pytest.fixture(scope="module")
def lane(app_stack: Stack) -> dict[str, Any]:
    """A network whose coordinator has an email, with two organizations matching suggests to
    each other (each needs what the other offers)."""
    created = new_network(app_stack, "Lane Network", COORDINATOR)
    operator = Client(app_stack.graphql_url).as_(created["operatorToken"])
    outreach, funder = outreach_and_funder(operator, created["networkId"], DOMAIN)
    outreach_id = outreach["organization"]["id"]
    operator.data(
        "mutation($i: ReportNeedInput!) { reportNeed(input: $i) { need { id } } }",
        {"i": {"networkId": created["networkId"], "title": "Flooded community garden",
               "focusArea": "environment", "area": "Riverside", "severity": 3}},
    )  # fmt: skip
    eventually(lambda: matches_of(operator, outreach_id), timeout=60)
    return {
        **created,
        "operator": operator,
        "outreach": outreach_id,
        "funder": funder["organization"]["id"],
    }


def any_partnership(lane: dict[str, Any]) -> str:
    """The two organizations' partnership (formed by the operator when the journey that
    forms it through the pages has not run)."""
    found = lane["operator"].data(
        "query($n: ID!) { partnerships(networkId: $n) { edges { node { id } } } }",
        {"n": lane["networkId"]},
    )["partnerships"]["edges"]
    if found:
        return str(found[0]["node"]["id"])
    formed = lane["operator"].data(
        "mutation($i: FormPartnershipInput!) { formPartnership(input: $i) { id } }",
        {
            "i": {
                "name": "Outreach and funding",
                "organizationIds": [lane["outreach"], lane["funder"]],
            }
        },
    )
    return str(formed["formPartnership"]["id"])


def base(stack: Stack) -> str:
    return stack.settings.url_of("gateway")


def shot(page: Page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"app-{name}.png"), full_page=True)


def test_two_admins_sign_in_by_link_form_a_partnership_and_keep_a_commitment(
    app_stack: Stack,
    lane: dict[str, Any],
    mailbox: tuple[Mailbox, int],
    browser: Browser,
    audit: Audit,
) -> None:
    url, box = base(app_stack), mailbox[0]
    outreach = browser.new_page(viewport={"width": 1100, "height": 900})
    funder = browser.new_page(viewport={"width": 375, "height": 800})  # a phone
    sign_in(outreach, url, OUTREACH, box, audit)
    audit.check(outreach)
    shot(outreach, "home")

    # the suggestion, its reasons and score parts; an answer without a choice is refused
    outreach.locator("#suggestions a").first.click()
    outreach.wait_for_url("**/app/suggestions/**")
    assert outreach.locator("#components tbody tr").count() >= 3
    audit.check(outreach)
    outreach.get_by_role("button", name="Send answer").click()
    expect(outreach.locator(".error-summary")).to_be_visible()
    expect(outreach.locator(".error-summary a[href='#field-decision']")).to_be_visible()
    audit.check(outreach)
    shot(outreach, "suggestion-error")
    outreach.get_by_label("Yes, accept").check()
    outreach.get_by_label("Why? (optional)").fill("Their outreach reaches the families we fund")
    outreach.get_by_role("button", name="Send answer").click()
    expect(outreach.locator(".banner")).to_contain_text("Your answer has been sent")

    sign_in(funder, url, FUNDER, box, audit)
    funder.locator("#suggestions a").first.click()
    funder.wait_for_url("**/app/suggestions/**")
    audit.check(funder)
    funder.get_by_label("Yes, accept").check()
    funder.get_by_role("button", name="Send answer").click()

    # the partnership forms from the two answers
    def listed() -> bool:
        outreach.goto(f"{url}/app")
        return outreach.locator("#partnerships a").count() > 0

    eventually(listed, timeout=60)
    outreach.locator("#partnerships a").first.click()
    partnership_url = outreach.url
    audit.check(outreach)

    # Neighbors United proposes a commitment to the funder; the funder accepts it
    outreach.get_by_role("link", name="Make a commitment").click()
    audit.check(outreach)
    outreach.get_by_label("What will be done?").fill("Fund the spring outreach flyers")
    outreach.get_by_label("Lane Community Foundation").check()
    outreach.get_by_label("Due date").fill("2031-04-30")
    outreach.get_by_role("button", name="Continue").click()
    row = outreach.locator("#commitments tr", has_text="Fund the spring outreach flyers")
    assert row.get_attribute("data-status") == "PROPOSED"

    funder.goto(partnership_url)
    audit.check(funder)
    funder.locator("#commitments a", has_text="Answer").first.click()
    audit.check(funder)
    funder.get_by_label("Yes, accept").check()
    funder.get_by_role("button", name="Continue").click()
    row = funder.locator("#commitments tr", has_text="Fund the spring outreach flyers")
    assert row.get_attribute("data-status") == "OPEN"
    shot(funder, "partnership-phone")

    # a check-in, logged by the outreach admin
    outreach.goto(partnership_url)
    outreach.get_by_role("link", name="Log a check-in").click()
    outreach.get_by_label("Date of the check-in").fill("2026-01-15")
    outreach.get_by_label("Who attended").fill("Ann\nBo")
    outreach.get_by_label("Wins").fill("Flyers designed")
    audit.check(outreach)
    outreach.get_by_role("button", name="Continue").click()
    expect(outreach.locator("#check-ins li")).to_have_count(1)
    audit.check(outreach)
    shot(outreach, "partnership")

    outreach.goto(f"{url}/app/inbox")
    audit.check(outreach)

    # the organization's profile, changed by its admin
    outreach.get_by_role("link", name="Organization").click()
    audit.check(outreach)
    outreach.get_by_role("link", name="Change the profile").click()
    audit.check(outreach)
    outreach.get_by_role("group", name="What do you offer?").get_by_label("Venue").check()
    outreach.locator("#field-virtualReady").check()  # "Yes"
    outreach.get_by_role("button", name="Continue").click()
    expect(outreach.locator(".banner")).to_contain_text("The profile has been saved")
    assert "venue" in outreach.locator("#offers").inner_text()
    assert "outreach" in outreach.locator("#offers").inner_text()  # what it had stays

    # notification preferences, with the keyboard only: the first Tab reaches the skip link
    outreach.goto(f"{url}/app/preferences")
    outreach.keyboard.press("Tab")
    assert outreach.evaluate("document.activeElement.className") == "skip-link"
    outreach.get_by_label("Yes, a daily digest").focus()
    outreach.keyboard.press("Space")
    audit.check(outreach)
    outreach.keyboard.press("Enter")  # submits the form
    outreach.wait_for_url(f"{url}/app?done=preferences")
    expect(outreach.locator(".banner")).to_contain_text("Your choices have been saved")
    outreach.goto(f"{url}/app/preferences")
    assert outreach.get_by_label("Yes, a daily digest").is_checked()
    assert audit.found == []


def test_a_coordinator_imports_a_survey_with_a_bad_row_and_introduces_a_coalition(
    app_stack: Stack,
    lane: dict[str, Any],
    mailbox: tuple[Mailbox, int],
    browser: Browser,
    audit: Audit,
    tmp_path: Path,
) -> None:
    url = base(app_stack)
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    sign_in(page, url, COORDINATOR, mailbox[0], audit)
    audit.check(page)
    page.get_by_role("link", name="Import a neighborhood survey").click()
    audit.check(page)
    page.get_by_role("button", name="Import").click()  # no file chosen
    expect(page.locator("[data-field='file'] .error-message")).to_be_visible()
    audit.check(page)
    survey = tmp_path / "survey.csv"
    survey.write_text(
        "area,concern,comment\n"
        "Westside,funding,The youth center lost its grant\n"
        "Westside,,No concern given\n"
        "Westside,outreach,Families never hear about the food bank\n"
    )
    page.get_by_label("Upload the survey file").set_input_files(str(survey))
    page.get_by_role("button", name="Import").click()
    assert page.locator("#survey").get_attribute("data-imported") == "2"
    rejected = page.locator("#rejected tbody tr")
    assert rejected.count() == 1
    assert rejected.first.get_attribute("data-row") == "3"
    assert "concern is empty" in rejected.first.inner_text()
    audit.check(page)
    shot(page, "survey")

    # a need reported through the form, the API's own refusal beside its field
    page.goto(f"{url}/app/needs/new")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".error-summary li")).to_have_count(4)  # title, focus area, area, severity
    audit.check(page)
    shot(page, "need-errors")
    page.get_by_label("What is the need?").fill("After-school space")
    page.get_by_label("Focus area").fill("youth")
    page.get_by_label("Where?").fill("Westside")
    page.get_by_label("4").check()
    page.get_by_label("Funding").check()
    page.get_by_label("Outreach").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".banner")).to_contain_text("The need has been reported")
    expect(page.locator("#needs a", has_text="After-school space")).to_have_count(1)

    # its coalitions (the two organizations cover it), and introducing their members
    page.locator("#needs a", has_text="After-school space").click()
    need_url = page.url

    def coalition() -> bool:
        page.goto(need_url)
        return page.locator("[data-coalition]").count() > 0

    eventually(coalition, timeout=60)
    audit.check(page)
    shot(page, "need")
    page.locator("[data-coalition='0'] button").click()
    expect(page.locator(".banner")).to_contain_text("have been introduced")
    assert audit.found == []


def test_a_member_of_another_network_sees_none_of_it(
    app_stack: Stack,
    lane: dict[str, Any],
    mailbox: tuple[Mailbox, int],
) -> None:
    url, box = base(app_stack), mailbox[0]
    other = new_network(app_stack, "Zephyr Harbor Network", "coordinator@zephyr.example.org")
    mine = http_session(url, OUTREACH, box)
    partnership = any_partnership(lane)
    match = lane["operator"].data(
        "query($o: ID!) { matches(organizationId: $o) { edges { node { id } } } }",
        {"o": lane["outreach"]},
    )["matches"]["edges"][0]["node"]["id"]
    need = lane["operator"].data(
        "query($n: ID!) { needs(networkId: $n) { edges { node { id } } } }",
        {"n": lane["networkId"]},
    )["needs"]["edges"][0]["node"]["id"]
    stranger = http_session(url, "coordinator@zephyr.example.org", box)
    assert "Zephyr Harbor Network" in stranger.get("/app").text
    for path in (
        f"/app/partnerships/{partnership}",
        f"/app/partnerships/{partnership}/commitments",
        f"/app/partnerships/{partnership}/check-ins",
        f"/app/suggestions/{match}",
        f"/app/needs/{need}",
    ):
        answer = stranger.get(path)
        assert answer.status_code == 404, (path, answer.status_code)
        for secret in ("Neighbors United", "Lane Community Foundation", "Lane Network"):
            assert secret not in answer.text, (path, secret)
        form = hidden(stranger.get("/app/needs/new").text)
        posted = stranger.post(path, data={**form, "title": "x", "dueAt": "2031-01-01"})
        assert posted.status_code in (404, 405), (path, posted.status_code)
    assert other["networkId"] not in mine.get("/app").text
    # the directory export is the coordinator's: a member is refused, Zephyr's gets its own
    assert mine.get("/app/network/directory.zip").status_code == 403
    download = stranger.get("/app/network/directory.zip")
    assert download.status_code == 200 and download.content.startswith(b"PK")
    assert b"Neighbors United" not in download.content


def test_forms_refuse_a_missing_csrf_token_and_a_double_submit_writes_once(
    app_stack: Stack,
    lane: dict[str, Any],
    mailbox: tuple[Mailbox, int],
) -> None:
    url = base(app_stack)
    client = http_session(url, OUTREACH, mailbox[0])
    ident = any_partnership(lane)
    path = f"/app/partnerships/{ident}/milestones"
    form = hidden(client.get(path).text)
    assert form["csrf"] and form["idempotency_key"]

    def milestones(title: str) -> int:
        found = lane["operator"].data(PARTNERSHIP, {"id": ident})["partnership"]["milestones"]
        return sum(e["node"]["title"] == title for e in found["edges"])

    refused = client.post(path, data={"idempotency_key": "k1", "title": "Forged"})
    assert refused.status_code == 403
    wrong = client.post(path, data={**form, "csrf": "x" * 43, "title": "Forged"})
    assert wrong.status_code == 403
    assert milestones("Forged") == 0

    for _ in range(2):  # the same form sent twice: one milestone
        sent = client.post(path, data={**form, "title": "First drive done"})
        assert sent.status_code == 303
    assert milestones("First drive done") == 1

    # the API's refusal beside its field: a negative quantity
    path = f"/app/partnerships/{ident}/commitments"
    form = hidden(client.get(path).text)
    answer = client.post(
        path,
        data={
            **form,
            "title": "Lend chairs",
            "ownerOrganizationId": lane["outreach"],
            "dueAt": "2031-05-01",
            "quantity": "-5",
        },
    )
    assert answer.status_code == 400
    assert 'href="#field-quantity"' in answer.text
    field_html = answer.text.split('data-field="quantity"', 1)[1].split("</div>", 1)[0]
    assert "error-message" in field_html


def test_a_sign_in_link_works_once_and_sign_out_everywhere_ends_every_session(
    app_stack: Stack,
    lane: dict[str, Any],
    mailbox: tuple[Mailbox, int],
) -> None:
    url, box = base(app_stack), mailbox[0]
    first = http_session(url, FUNDER, box)
    # the last sign-in link (other notices, such as a milestone's, may arrive after it)
    bodies = [m.get_body(("plain",)).get_content() for m in box.messages if m["To"] == FUNDER]
    token = [b for b in bodies if "/app/sign-in/" in b]
    link = token[-1].split("/app/sign-in/", 1)[1].split()[0]
    again = httpx.Client(base_url=url)
    form = hidden(again.get("/app/sign-in").text)
    used = again.post("/app/sign-in/link", data={**form, "token": link})
    assert used.status_code == 401 and "expired" in used.text
    tampered = again.post("/app/sign-in/link", data={**form, "token": link[:-2] + "xx"})
    assert tampered.status_code == 401

    second = http_session(url, FUNDER, box)
    assert second.get("/app").status_code == 200
    out = second.post("/app/sign-out-everywhere", data=hidden(second.get("/app").text))
    assert out.status_code == 200
    for client in (first, second):
        assert client.get("/app").status_code == 303  # to the sign-in page
    # an unknown email gets the same page, and no mail
    unknown = again.post("/app/sign-in", data={**form, "email": "nobody@example.org"})
    assert "Check your email" in unknown.text


def test_links_for_one_address_are_limited_and_the_page_says_the_same(
    app_stack: Stack, mailbox: tuple[Mailbox, int]
) -> None:
    url, box = base(app_stack), mailbox[0]
    new_network(app_stack, "Often Network", "often@example.org")
    client = httpx.Client(base_url=url, timeout=30)
    form = hidden(client.get("/app/sign-in").text)
    for _ in range(7):
        answer = client.post("/app/sign-in", data={**form, "email": "often@example.org"})
        assert answer.status_code == 200 and "Check your email" in answer.text

    def sent() -> int:
        return sum(m["To"] == "often@example.org" for m in box.messages)

    eventually(lambda: sent() == 5, timeout=30)
    time.sleep(2)
    assert sent() == 5


# --- the shared space and the community's voice (issue 25, item 8) -----------------------
VOICES = """query($id: ID!) { partnership(id: $id) {
  milestones(first: 50) { edges { node { title } } }
  communityResponses(first: 50) { edges { node { rating story contact } } } } }"""


def voices(lane: dict[str, Any], ident: str) -> list[dict[str, Any]]:
    found = lane["operator"].data(VOICES, {"id": ident})["partnership"]["communityResponses"]
    return [e["node"] for e in found["edges"]]


def shot_as(page: Page, file_name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / file_name), full_page=True)


def test_a_partner_posts_a_win_and_turns_it_into_a_milestone(
    app_stack: Stack,
    lane: dict[str, Any],
    mailbox: tuple[Mailbox, int],
    browser: Browser,
    audit: Audit,
) -> None:
    url, box = base(app_stack), mailbox[0]
    ident = any_partnership(lane)
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    sign_in(page, url, OUTREACH, box, audit)
    page.goto(f"{url}/app/partnerships/{ident}")
    page.get_by_role("link", name="Post an update").click()
    audit.check(page)
    page.get_by_role("button", name="Continue").click()  # nothing chosen or written
    expect(page.locator(".error-summary li")).to_have_count(2)
    audit.check(page)
    page.get_by_label("A win: something to celebrate").check()
    page.get_by_label("What happened?").fill("Forty families came to the first dinner")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".banner")).to_contain_text("Your update has been posted")
    win = page.locator("#updates-log li", has_text="Forty families came to the first dinner")
    assert win.get_attribute("data-kind") == "WIN"
    audit.check(page)

    # the other partner hears of it in their inbox
    funder = http_session(url, FUNDER, box)
    eventually(lambda: "Forty families came" in funder.get("/app/inbox").text, timeout=30)

    win.get_by_role("button", name="Record as a milestone").click()
    expect(page.locator("#milestones li", has_text="Forty families came")).to_have_count(1)
    expect(win).to_contain_text("Recorded as a milestone")
    assert win.get_by_role("button").count() == 0  # once only
    audit.check(page)
    page.locator("#updates").scroll_into_view_if_needed()
    if SHOTS:
        page.locator("main").screenshot(path=str(Path(SHOTS) / "app-updates.png"))
    titles = lane["operator"].data(VOICES, {"id": ident})["partnership"]["milestones"]
    assert [e["node"]["title"] for e in titles["edges"]].count(
        "Forty families came to the first dinner"
    ) == 1
    assert audit.found == []


def test_a_resident_answers_the_community_voice_page_without_signing_in(
    app_stack: Stack,
    lane: dict[str, Any],
    mailbox: tuple[Mailbox, int],
    browser: Browser,
    audit: Audit,
) -> None:
    url = base(app_stack)
    ident = any_partnership(lane)
    before = len(voices(lane, ident))
    resident = browser.new_context(viewport={"width": 375, "height": 800}).new_page()  # a phone
    resident.goto(f"{url}/app/voice/partnerships/{ident}")
    expect(resident.locator("h1")).to_contain_text("going for you?")
    assert resident.get_by_role("link", name="Sign out").count() == 0  # nobody signed in
    audit.check(resident)
    resident.get_by_role("button", name="Send your answer").click()
    expect(resident.locator(".error-summary a[href='#field-rating']")).to_be_visible()
    audit.check(resident)

    resident.goto(f"{url}/app/voice/partnerships/{ident}")  # afresh, as a resident would
    resident.get_by_label("4: well").check()
    resident.get_by_label("Tell us what happened (optional)").fill(
        "My kids loved the dinners; Thursdays are hard for us"
    )
    contact = resident.get_by_label("How can the partners reach you? (optional)")
    contact.fill("rosa@example.org")
    shot_as(resident, "community-voice.png")
    # the honeypot is out of the keyboard's way: Tab goes from the contact to the button
    contact.focus()
    resident.keyboard.press("Tab")
    assert resident.evaluate("document.activeElement.textContent") == "Send your answer"
    resident.keyboard.press("Enter")
    expect(resident.locator("h1")).to_have_text("Thank you")
    audit.check(resident)

    found = voices(lane, ident)
    assert len(found) == before + 1
    assert found[0]["rating"] == 4 and found[0]["contact"] is None  # the operator: no contact
    # the partners read the contact on their page; the public page never shows it
    partner = http_session(url, OUTREACH, mailbox[0])
    assert "rosa@example.org" in partner.get(f"/app/partnerships/{ident}").text
    public = http.get(f"{url}/app/voice/partnerships/{ident}", timeout=30).text
    assert "rosa@example.org" not in public and "Thursdays are hard" not in public
    assert audit.found == []


def test_a_honeypot_filled_post_is_refused_and_writes_nothing(
    app_stack: Stack, lane: dict[str, Any], browser: Browser, audit: Audit
) -> None:
    url = base(app_stack)
    ident = any_partnership(lane)
    before = voices(lane, ident)
    robot = browser.new_context().new_page()
    robot.goto(f"{url}/app/voice/partnerships/{ident}")
    robot.get_by_label("5: very well").check()
    robot.get_by_label("Tell us what happened (optional)").fill("Cheap pills here")
    robot.locator("input[name='website']").fill("http://pills.example")  # what robots do
    robot.get_by_role("button", name="Send your answer").click()
    expect(robot.locator("h1")).to_have_text("We could not take your answer")
    audit.check(robot)
    time.sleep(1)
    assert voices(lane, ident) == before
    assert audit.found == []


# --- the coordinator's network: links, members, introductions (issue 25, item 1) ---------
MARION = "coordinator@marion.example.org"
INTRODUCE = """mutation($i: ProposeIntroductionInput!) { proposeIntroduction(input: $i) { id } }"""


def link_row(page: Page, network: str) -> Any:
    return page.locator("#links tbody tr", has_text=network)


def test_coordinators_link_their_networks_end_the_link_and_remove_a_member(
    app_stack: Stack,
    lane: dict[str, Any],
    mailbox: tuple[Mailbox, int],
    browser: Browser,
    audit: Audit,
) -> None:
    url, box = base(app_stack), mailbox[0]
    marion = new_network(app_stack, "Marion Network", MARION)
    lane_page = browser.new_page(viewport={"width": 1100, "height": 900})
    sign_in(lane_page, url, COORDINATOR, box, audit)

    # Lane's coordinator proposes a link; an empty ID is said beside the field, then a typo
    lane_page.get_by_role("link", name="Links with other networks").click()
    expect(lane_page.locator("#network-id")).to_have_text(lane["networkId"])
    audit.check(lane_page)
    lane_page.get_by_role("link", name="Propose a link to another network").click()
    audit.check(lane_page)
    lane_page.get_by_role("button", name="Continue").click()
    expect(lane_page.locator(".error-summary a[href='#field-otherNetworkId']")).to_be_visible()
    lane_page.get_by_label("The other network's ID").fill("net_nobody")
    lane_page.get_by_role("button", name="Continue").click()
    expect(lane_page.locator("[data-field='otherNetworkId'] .error-message")).to_contain_text(
        "not found"
    )
    audit.check(lane_page)
    lane_page.get_by_label("The other network's ID").fill(marion["networkId"])
    lane_page.get_by_label("A note for their coordinator (optional)").fill("Virtual tutoring")
    lane_page.get_by_role("button", name="Continue").click()
    expect(lane_page.locator(".banner")).to_contain_text("Your proposal has been sent")
    row = link_row(lane_page, "Marion Network")
    assert row.get_attribute("data-status") == "PROPOSED"
    expect(row.get_by_role("button")).to_have_text(["Withdraw: Marion Network"])
    link_id = row.get_attribute("data-link-id")
    audit.check(lane_page)

    # Marion's coordinator accepts it
    marion_page = browser.new_page(viewport={"width": 375, "height": 800})  # a phone
    sign_in(marion_page, url, MARION, box, audit)
    marion_page.get_by_role("link", name="Links with other networks").click()
    row = link_row(marion_page, "Lane Network")
    assert row.get_attribute("data-status") == "PROPOSED"
    assert "Virtual tutoring" in row.inner_text()
    audit.check(marion_page)
    row.get_by_role("button", name="Accept").click()
    expect(marion_page.locator(".banner")).to_contain_text("The link is active")
    assert link_row(marion_page, "Lane Network").get_attribute("data-status") == "ACTIVE"
    audit.check(marion_page)

    # Lane's coordinator ends it (Benton's proposal waits beside it); both sides see it ended
    benton = new_network(app_stack, "Benton Network", "coordinator@benton.example.org")
    Client(app_stack.graphql_url).as_(benton["operatorToken"]).data(
        PROPOSE, {"n": benton["networkId"], "o": lane["networkId"], "note": "Shared food drives"}
    )
    lane_page.goto(f"{url}/app/network/links")
    expect(link_row(lane_page, "Benton Network").get_by_role("button")).to_have_text(
        ["Accept: Benton Network", "Decline: Benton Network"]
    )
    row = link_row(lane_page, "Marion Network")
    assert row.get_attribute("data-status") == "ACTIVE"
    if SHOTS:
        lane_page.screenshot(path=str(Path(SHOTS) / "app-links.png"), full_page=True)
    row.get_by_role("button", name="End the link").click()
    expect(lane_page.locator(".banner")).to_contain_text("The link has ended")
    assert link_row(lane_page, "Marion Network").get_attribute("data-status") == "ENDED"
    assert link_row(lane_page, "Marion Network").get_by_role("button").count() == 0
    audit.check(lane_page)
    marion_page.goto(f"{url}/app/network/links")
    assert link_row(marion_page, "Lane Network").get_attribute("data-status") == "ENDED"

    # an organization's members: a member removed, the only admin kept with the reason shown
    org, admin = register_admin(lane["operator"], lane["networkId"], "Riverside Tenants")
    admin.data(ADD_MEMBER, {"org": org, "input": {"name": "Sam Reyes", "email": "sam@rt.org"}})
    lane_page.goto(f"{url}/app/network")
    lane_page.get_by_role("link", name="Riverside Tenants").click()
    members = lane_page.locator("#members tbody tr")
    expect(members).to_have_count(2)
    audit.check(lane_page)
    members.filter(has_text="Sam Reyes").get_by_role("button").click()
    expect(lane_page.locator(".banner")).to_contain_text("The member has been removed")
    expect(members).to_have_count(1)
    members.first.get_by_role("button").click()  # the last admin
    expect(lane_page.locator(".error-summary")).to_contain_text("admin")
    expect(members).to_have_count(1)
    audit.check(lane_page)
    assert "Sam Reyes" not in [m["name"] for m in members_of(lane, org)]

    # the introductions made, with their state
    note = "You both work with Riverside families"
    lane["operator"].data(
        INTRODUCE, {"i": {"organizationIds": [lane["outreach"], org], "note": note}}
    )
    lane_page.goto(f"{url}/app")
    lane_page.get_by_role("link", name="Introductions you made").click()
    made = lane_page.locator("#introductions tbody tr", has_text=note)
    expect(made).to_have_count(1)
    assert made.get_attribute("data-status") == "SUGGESTED"
    assert "Riverside Tenants" in made.inner_text()
    audit.check(lane_page)

    # another network's coordinator, and a member, get plain pages that reveal nothing
    new_network(app_stack, "Yonder Network", "coordinator@yonder.example.org")
    stranger = http_session(url, "coordinator@yonder.example.org", box)
    form = hidden(stranger.get("/app/network/links").text)
    for path, method in (
        (f"/app/network/organizations/{org}", "get"),
        (f"/app/network/organizations/{lane['outreach']}", "get"),
        (f"/app/network/organizations/{org}/members/x/remove", "post"),
        (f"/app/network/links/{link_id}/end", "post"),
        (f"/app/network/links/{link_id}/accept", "post"),
    ):
        answer = getattr(stranger, method)(path, **({"data": form} if method == "post" else {}))
        assert answer.status_code == 404, (path, answer.status_code)
        for secret in ("Riverside Tenants", "Sam Reyes", "Lane Network", "Marion Network"):
            assert secret not in answer.text, (path, secret)
    assert "Lane Network" not in stranger.get("/app/network/links").text
    assert "Riverside" not in stranger.get("/app/introductions").text
    # (Riverside's admin: the journeys have used Neighbors United's five links a quarter hour)
    member = http_session(url, "admin@riverside-tenants.example.org", box)
    assert member.get("/app/network/links").status_code == 403
    assert member.get(f"/app/network/organizations/{lane['outreach']}").status_code == 403
    assert audit.found == []


def members_of(lane: dict[str, Any], org: str) -> list[dict[str, Any]]:
    found = lane["operator"].data(
        "query($o: ID!) { organization(id: $o) { members { name role } } }", {"o": org}
    )
    return list(found["organization"]["members"])
