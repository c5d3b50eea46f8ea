"""Benches that cannot rot: every module in bench/ runs once with tiny parameters, the ones
that need a stack against this session's, and must finish and print its figures
(tests/support/benches.py; the restart bench, which starts stacks of its own, is a fault
test: tests/faults/test_restart_bench.py)."""

from __future__ import annotations

import pytest

from deploy.stack import Stack
from tests.support.benches import (
    HELPERS,
    ON_ITS_OWN_DATA,
    TINY,
    WITHOUT_STACK,
    every_bench_module,
    run_tiny,
)


def test_every_bench_module_has_a_smoke_run() -> None:
    assert every_bench_module() == set(TINY) | set(WITHOUT_STACK) | set(ON_ITS_OWN_DATA) | HELPERS


@pytest.mark.parametrize("name", sorted(TINY))
def test_bench_runs_against_a_stack(
    name: str, stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    figure = run_tiny(name, TINY, stack)
    assert figure in capsys.readouterr().out


@pytest.mark.parametrize("name", sorted(WITHOUT_STACK))
def test_bench_runs_on_its_own(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    figure = run_tiny(name, WITHOUT_STACK)
    assert figure in capsys.readouterr().out
