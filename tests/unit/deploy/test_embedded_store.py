"""The runner's embedded store: its services are told to make no retryable writes, whose
record in SecantusDB slows every write as it grows (deploy/stack.py, RELIABILITY.md)."""

from __future__ import annotations

from pathlib import Path

from deploy.stack import Stack, settings_env
from shared.mongo import mongo_client
from shared.settings import Settings
from tests.support.stack import stack_settings


def test_the_runner_turns_retryable_writes_off_for_every_child(tmp_path: Path) -> None:
    settings = stack_settings(tmp_path)
    assert settings.mongo_retry_writes  # PyMongo's default, kept for a production MongoDB
    stack = Stack(settings, report=lambda line: None)
    assert settings_env(stack.settings)["COMMONWEAVE_MONGO_RETRY_WRITES"] == "False"
    child = Settings(_env_file=None, mongo_retry_writes="False")  # type: ignore[call-arg,arg-type]
    assert child.mongo_retry_writes is False
    assert mongo_client(child).options.retry_writes is False
