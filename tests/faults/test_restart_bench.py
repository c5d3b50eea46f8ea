"""The restart bench in small (bench/restart.py): a stack with a little history stopped and
started again on its own data, its figures printed (tests/support/benches.py)."""

from __future__ import annotations

import pytest

from tests.support.benches import ON_ITS_OWN_DATA, run_tiny


@pytest.mark.parametrize("name", sorted(ON_ITS_OWN_DATA))
def test_bench_restarts_a_stack_on_its_own_data(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    figure = run_tiny(name, ON_ITS_OWN_DATA)
    assert figure in capsys.readouterr().out
