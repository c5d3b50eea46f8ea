"""/app in Spanish, in Debian's headless chromium (Playwright) against a real stack and a real
SMTP server: a browser that asks for Spanish (Accept-Language) gets Spanish pages with
`lang="es"` before sign-in, axe-core finds nothing serious on them, signing in keeps Spanish as
the member's preference, so their notifications (the inbox, the sign-in email) come in Spanish;
the language switch is a plain form whose choice a cookie remembers before sign-in and the
preference after.

`COMMONWEAVE_APP_SCREENSHOTS=docs` also writes docs/app-es.png (a partnership) and
docs/app-es-inbox.png."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from deploy.stack import Stack
from tests.support import http
from tests.support.app import Audit, hidden, link_in
from tests.support.matches import matches_of
from tests.support.notifications import Mailbox
from tests.support.organizations import outreach_and_funder
from tests.support.stack import Client
from tests.support.wait import eventually

DOMAIN = "languages.example.org"  # the partners' admins' (other modules register them too)
OUTREACH = f"admin@neighbors-united.{DOMAIN}"
SHOTS = os.environ.get("COMMONWEAVE_APP_SCREENSHOTS")
SPANISH = {"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}


@pytest.fixture(scope="module")
def lane(app_stack: Stack) -> dict[str, Any]:
    """A network with two organizations matching suggests to each other."""
    response = http.post(
        f"{app_stack.service_url('intake')}/networks",
        json={"name": "Lane Network", "region": "Lane County",
              "time_zone": "America/Los_Angeles", "operator_email": "coord@lane.example.org"},
        headers={"X-Service-Token": app_stack.settings.service_token.get_secret_value()},
        timeout=10,
    )  # fmt: skip
    response.raise_for_status()
    created: dict[str, str] = response.json()
    operator = Client(app_stack.graphql_url).as_(created["operatorToken"])
    outreach, funder = outreach_and_funder(operator, created["networkId"], DOMAIN)
    eventually(lambda: matches_of(operator, outreach["organization"]["id"]), timeout=60)
    return {
        **created,
        "operator": operator,
        "outreach": outreach["organization"]["id"],
        "funder": funder["organization"]["id"],
        "funder_admin": Client(app_stack.graphql_url).as_(funder["adminToken"]),
    }


def spanish_page(browser: Browser) -> Page:
    context = browser.new_context(
        locale="es-MX", extra_http_headers=SPANISH, viewport={"width": 1100, "height": 900}
    )
    return context.new_page()


def lang_of(page: Page) -> str:
    return str(page.locator("html").get_attribute("lang"))


def test_a_spanish_reader_signs_in_in_spanish_and_hears_in_spanish_after(
    app_stack: Stack, lane: dict[str, Any], mailbox: tuple[Mailbox, int], browser: Browser
) -> None:
    base, box, audit = app_stack.settings.url_of("gateway"), mailbox[0], Audit()
    page = spanish_page(browser)
    page.goto(f"{base}/app")  # not signed in: the sign-in page, in Spanish
    assert lang_of(page) == "es"
    expect(page.locator("h1")).to_have_text("Iniciar sesión en Commonweave")
    audit.check(page)

    # nothing typed: the error summary and the field's error, in Spanish
    page.get_by_role("button", name="Enviarme un enlace para iniciar sesión").click()
    expect(page.locator(".error-summary")).to_contain_text("Escriba su correo electrónico")
    assert page.title().startswith("Error: Iniciar sesión")
    audit.check(page)

    already = len(box.subjects_to(OUTREACH))
    page.get_by_label("Correo electrónico").fill(OUTREACH)
    page.get_by_role("button", name="Enviarme un enlace para iniciar sesión").click()
    expect(page.locator("h1")).to_have_text("Revise su correo electrónico")
    page.goto(link_in(box, OUTREACH, already))
    audit.check(page)
    page.get_by_role("button", name="Iniciar sesión").click()
    page.wait_for_url(f"{base}/app")

    # the member's home in Spanish, numbers written the Spanish way
    assert lang_of(page) == "es"
    expect(page.get_by_role("heading", name="Socios sugeridos")).to_be_visible()
    score = page.locator("#suggestions td.num").first.inner_text()
    assert "," in score and "." not in score, score
    audit.check(page)

    # signing in kept Spanish as the member's preference: notifications speak it
    formed = lane["operator"].data(
        "mutation($i: FormPartnershipInput!) { formPartnership(input: $i) { id } }",
        {"i": {"name": "Volantes para las familias",
               "organizationIds": [lane["outreach"], lane["funder"]]}},
    )["formPartnership"]["id"]  # fmt: skip
    lane["funder_admin"].data(
        "mutation($i: MakeCommitmentInput!) { makeCommitment(input: $i) { id } }",
        {"i": {"partnershipId": formed, "title": "Imprimir 200 volantes",
               "ownerOrganizationId": lane["funder"], "dueAt": "2031-04-30T23:59:00+00:00"}},
    )  # fmt: skip
    lane["funder_admin"].data(
        "mutation($i: RecordCheckInInput!) { recordCheckIn(input: $i) { id } }",
        {"i": {"partnershipId": formed, "heldAt": "2026-01-15T12:00:00+00:00",
               "attendees": ["Ana", "Beto"], "wins": ["Volantes diseñados"]}},
    )  # fmt: skip

    def announced() -> bool:
        page.goto(f"{base}/app/inbox")
        return (
            "Alianza formada: Volantes para las familias"
            in page.locator("#notifications").inner_text()
        )

    eventually(announced, timeout=30, interval=0.5)
    audit.check(page)
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / "app-es-inbox.png"), full_page=True)
    page.goto(f"{base}/app/partnerships/{formed}")
    expect(page.get_by_role("heading", name="Compromisos")).to_be_visible()
    expect(page.locator("#commitments")).to_contain_text("Imprimir 200 volantes")
    expect(page.locator("#check-ins")).to_contain_text("Logros: Volantes diseñados")
    audit.check(page)
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / "app-es.png"), full_page=True)
    # the partnership's public community voice page, for its residents, in Spanish too
    page.goto(f"{base}/app/voice/partnerships/{formed}")
    assert lang_of(page) == "es"
    expect(page.locator("h1")).to_have_text("¿Cómo le está yendo con «Volantes para las familias»?")
    expect(page.get_by_role("button", name="Enviar su respuesta")).to_be_visible()
    audit.check(page)
    page.goto(f"{base}/app/partnerships/{formed}")
    client = httpx.Client(base_url=base, timeout=30)  # a second link, asked in English
    before = len(box.subjects_to(OUTREACH))
    client.post("/app/sign-in", data={**hidden(client.get("/app/sign-in").text), "email": OUTREACH})
    eventually(lambda: len(box.subjects_to(OUTREACH)) > before, timeout=30)
    assert box.subjects_to(OUTREACH)[-1] == "Su enlace para iniciar sesión en Lane Network"

    # the switch: English on every page from now on, and in the preference
    page.get_by_role("button", name="English").click()  # back to the same page, in English
    expect(page.get_by_role("heading", name="Commitments")).to_be_visible()
    assert lang_of(page) == "en" and page.url == f"{base}/app/partnerships/{formed}"
    page.goto(f"{base}/app/preferences")
    expect(page.get_by_label("English")).to_be_checked()
    page.get_by_role("button", name="Español").click()
    expect(page.locator("h1")).to_have_text("¿Cómo quiere que le avisemos?")
    expect(page.get_by_label("Español")).to_be_checked()
    assert audit.found == [], audit.found
    assert audit.pages >= 7


def test_the_language_preference_through_graphql_names_a_bad_language(
    lane: dict[str, Any],
) -> None:
    admin = lane["funder_admin"]
    update = """mutation($i: NotificationPreferencesInput!) {
      updateNotificationPreferences(input: $i) { language } }"""
    [error] = admin.errors(update, {"i": {"language": "xx"}})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "input.language"
    chosen = admin.data(update, {"i": {"language": "es"}})
    assert chosen["updateNotificationPreferences"]["language"] == "es"
    read = admin.data("{ notificationPreferences { language digest } }")
    assert read["notificationPreferences"] == {"language": "es", "digest": "OFF"}


def test_before_sign_in_the_chosen_language_is_remembered_over_the_browsers(
    app_stack: Stack, browser: Browser
) -> None:
    base = app_stack.settings.url_of("gateway")
    page = spanish_page(browser)
    page.goto(f"{base}/app/sign-in")
    expect(page.locator("h1")).to_have_text("Iniciar sesión en Commonweave")
    page.get_by_role("button", name="English").click()
    page.wait_for_url(f"{base}/app/sign-in")
    expect(page.locator("h1")).to_have_text("Sign in to Commonweave")
    page.reload()  # the browser still asks for Spanish; the cookie wins
    expect(page.locator("h1")).to_have_text("Sign in to Commonweave")
    assert lang_of(page) == "en"

    # a form posted without its CSRF token changes nothing; another site's address is not
    # followed back
    client = httpx.Client(base_url=base, headers=SPANISH, timeout=30)
    form = hidden(client.get("/app/sign-in").text)
    refused = client.post("/app/language", data={"language": "en", "back": "/app"})
    assert refused.status_code == 403 and "commonweave_language" not in refused.cookies
    moved = client.post(
        "/app/language", data={**form, "language": "en", "back": "//evil.example/x"}
    )
    assert moved.status_code == 303 and moved.headers["location"] == "/app"
    assert "Sign in to Commonweave" in client.get("/app/sign-in").text
