"""/app in a real browser: Playwright driving Debian's chromium (`executable_path`, the flags
of tests/support/browser.py: no browser is downloaded, every host but 127.0.0.1 unresolvable),
signing in by the link a real SMTP server received, and axe-core (bundled by
axe-playwright-python) on every page: serious and critical violations are collected."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.browser import OFFLINE, chromium_path
from tests.support.notifications import Mailbox

LINK = re.compile(r"(http://\S+/app/sign-in/\S+)")
SERIOUS = ("serious", "critical")


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(),
            args=["--no-sandbox", "--disable-gpu", f"--host-resolver-rules={OFFLINE}"],
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Audit:
    """axe-core's serious and critical violations per page checked."""

    axe: Axe = field(default_factory=Axe)
    pages: int = 0
    found: list[tuple[str, str, str]] = field(default_factory=list)  # (url, rule, impact)

    def check(self, page: Page) -> None:
        # a page still loading after a click would be checked half-drawn, or vanish mid-run
        page.wait_for_load_state("load")
        result: Any = self.axe.run(page)
        self.pages += 1
        for violation in result.response["violations"]:
            if violation["impact"] in SERIOUS:
                self.found.append((page.url, violation["id"], violation["impact"]))


def link_in(mailbox: Mailbox, email: str, after: int, timeout: float = 30) -> str:
    """The sign-in link of the first message to `email` after the first `after` ones."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        mine = [m for m in mailbox.messages if m["To"] == email][after:]
        for message in mine:
            found = LINK.search(message.get_body(("plain",)).get_content())
            if found:
                return found.group(1)
        time.sleep(0.2)
    raise AssertionError(f"no sign-in link reached {email}")


def sign_in(page: Page, base: str, email: str, mailbox: Mailbox, audit: Audit) -> str:
    """Asks for a link, opens it from the email, presses Sign in; returns the link."""
    already = len([m for m in mailbox.messages if m["To"] == email])
    page.goto(f"{base}/app/sign-in")
    audit.check(page)
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Email me a sign-in link").click()
    page.wait_for_selector("h1:has-text('Check your email')")
    audit.check(page)
    link = link_in(mailbox, email, already)
    page.goto(link)
    audit.check(page)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/app")
    return link


CSRF = re.compile(r'name="csrf" value="([^"]+)"')
KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


def hidden(html: str) -> dict[str, str]:
    """The CSRF token and Idempotency-Key of the first form of a page."""
    found = {"csrf": CSRF.search(html)}
    key = KEY.search(html)
    return {
        "csrf": found["csrf"].group(1) if found["csrf"] else "",
        **({"idempotency_key": key.group(1)} if key else {}),
    }


def http_session(base: str, email: str, mailbox: Mailbox) -> httpx.Client:
    """A plain HTTP client signed in by link as a browser would (cookies and forms, no
    script): for posting forms exactly as they are, twice, or without their token."""
    client = httpx.Client(base_url=base, timeout=30)
    already = len([m for m in mailbox.messages if m["To"] == email])
    form = hidden(client.get("/app/sign-in").text)
    client.post("/app/sign-in", data={**form, "email": email})
    token = link_in(mailbox, email, already).rsplit("/", 1)[1]
    answer = client.post("/app/sign-in/link", data={**form, "token": token})
    assert answer.status_code == 303, answer.text
    return client
