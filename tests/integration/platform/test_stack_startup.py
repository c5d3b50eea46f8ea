"""Start-up failures end with one clear message naming the cause and the log file, and leave
no process behind."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from deploy.stack import Stack, StackError
from tests.support.stack import stack_settings


def test_a_taken_port_is_named(tmp_path: Path) -> None:
    settings = stack_settings(tmp_path)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", settings.intake_port))
        holder.listen()
        with pytest.raises(
            StackError, match=rf"port {settings.intake_port} \(intake\) is already in use"
        ):
            Stack(settings).start()


def test_a_missing_broker_binary_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALF_TANSU_BIN", str(tmp_path / "no-such-tansu"))
    with pytest.raises(StackError, match="Tansu broker binary was not found"):
        Stack(stack_settings(tmp_path))


def test_a_service_that_fails_to_start_names_its_log_and_stops_the_rest(tmp_path: Path) -> None:
    stack = Stack(stack_settings(tmp_path), report=lambda line: None)
    stack.components["matching"].argv = [sys.executable, "-c", "raise SystemExit(3)"]
    with pytest.raises(StackError) as failure:
        stack.start()
    message = str(failure.value)
    assert "matching exited with code 3" in message
    assert str(stack.components["matching"].log_path) in message
    assert not any(component.running for component in stack.components.values())
