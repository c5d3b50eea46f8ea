"""The workspace at /app in Debian's headless chromium (Playwright), against a real stack with
a real SMTP server (aiosmtpd): people sign in by the one-time link they were emailed and act
through the pages only. Every page visited is checked with axe-core, also at 375 px wide.

`COMMONWEAVE_APP_SCREENSHOTS=docs` also writes the pages' screenshots there (app-*.png)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, Page

from deploy.stack import Stack
from tests.support.app import Audit, chromium, sign_in
from tests.support.matches import matches_of
from tests.support.notifications import Mailbox
from tests.support.organizations import outreach_and_funder
from tests.support.stack import Client, free_port, stack_settings
from tests.support.wait import eventually

COORDINATOR = "coordinator@lane.example.org"
OUTREACH = "admin@neighbors-united.example.org"
FUNDER = "admin@lane-community-foundation.example.org"
SHOTS = os.environ.get("COMMONWEAVE_APP_SCREENSHOTS")
PARTNERSHIP = """query($id: ID!) { partnership(id: $id) {
  commitments(first: 50) { edges { node { title status } } }
  checkIns(first: 20) { edges { node { id } } }
  milestones(first: 20) { edges { node { title } } } } }"""


@pytest.fixture(scope="module")
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def app_stack(
    tmp_path_factory: pytest.TempPathFactory, mailbox: tuple[Mailbox, int]
) -> Iterator[Stack]:
    settings = stack_settings(
        tmp_path_factory.mktemp("app"),
        smtp_host="127.0.0.1",
        smtp_port=mailbox[1],
        email_poll_seconds=0.2,
    )
    with Stack(settings, report=lambda line: None) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as running:
        yield running


@pytest.fixture(scope="module")
def audit() -> Iterator[Audit]:
    found = Audit()
    yield found
    print(f"\naxe-core: {found.pages} page checks, serious or critical: {found.found}")


def new_network(stack: Stack, name: str, operator_email: str) -> dict[str, str]:
    response = httpx.post(
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
    outreach, funder = outreach_and_funder(operator, created["networkId"])
    outreach_id = outreach["organization"]["id"]
    eventually(lambda: matches_of(operator, outreach_id), timeout=60)
    return {
        **created,
        "operator": operator,
        "outreach": outreach_id,
        "funder": funder["organization"]["id"],
    }


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
    assert outreach.locator("#components tbody tr").count() >= 3
    audit.check(outreach)
    outreach.get_by_role("button", name="Send answer").click()
    assert outreach.locator(".error-summary").is_visible()
    assert outreach.locator(".error-summary a[href='#field-decision']").is_visible()
    audit.check(outreach)
    shot(outreach, "suggestion-error")
    outreach.get_by_label("Yes, accept").check()
    outreach.get_by_label("Why? (optional)").fill("Their outreach reaches the families we fund")
    outreach.get_by_role("button", name="Send answer").click()
    assert "Your answer has been sent" in outreach.content()

    sign_in(funder, url, FUNDER, box, audit)
    funder.locator("#suggestions a").first.click()
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
    assert outreach.locator("#check-ins li").count() == 1
    audit.check(outreach)
    shot(outreach, "partnership")

    outreach.goto(f"{url}/app/inbox")
    audit.check(outreach)
    assert audit.found == []
