"""Webhook URL checks and signatures."""

from __future__ import annotations

import pytest

from services.notifications.webhooks import check_url, signature, verify
from shared.errors import AppError


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/hook",
        "http://169.254.169.254/latest",
        "http://[fe80::1]/x",
        "http://127.0.0.1:9000/hook",
        "http://10.0.0.5/hook",
        "not a url",
    ],
)
def test_dangerous_or_malformed_urls_are_refused_naming_the_field(url: str) -> None:
    with pytest.raises(AppError) as refused:
        check_url(url, allow_loopback=False)
    assert refused.value.field == "input.url"


def test_loopback_is_allowed_only_when_configured() -> None:
    assert check_url("http://127.0.0.1:9000/hook", allow_loopback=True)
    with pytest.raises(AppError):
        check_url("http://169.254.169.254/", allow_loopback=True)


def test_a_signature_verifies_only_the_exact_body_and_secret() -> None:
    header = signature("whsec_1", 1795570000, b'{"a":1}')
    assert header.startswith("t=1795570000,v1=")
    assert verify("whsec_1", header, b'{"a":1}')
    assert not verify("whsec_1", header, b'{"a":2}')
    assert not verify("whsec_2", header, b'{"a":1}')
