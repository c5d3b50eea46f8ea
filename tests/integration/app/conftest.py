"""What the workspace's browser tests share: each module gets a stack of its own with a real
SMTP server (sign-in links arrive by email), and a headless chromium."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser

from deploy.stack import Stack
from tests.support.app import chromium
from tests.support.notifications import Mailbox
from tests.support.stack import free_port, stack_settings


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
