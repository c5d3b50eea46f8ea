"""What the workspace's browser tests share: the session's stack and its real SMTP server
(sign-in links arrive by email; tests/conftest.py), and a headless chromium. A sign-in link
goes to every membership of an address on the stack, so each module signs in addresses of
its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from deploy.stack import Stack
from tests.support.app import chromium
from tests.support.notifications import Mailbox, MailServer


@pytest.fixture(scope="module")
def mailbox(mail: MailServer) -> tuple[Mailbox, int]:
    return mail.mailbox, mail.port


@pytest.fixture(scope="module")
def app_stack(stack: Stack) -> Stack:
    return stack


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as running:
        yield running
