"""The floors in pyproject.toml keep out versions with known vulnerabilities (issue 14, part 6).

A floor, not only the lock, is what protects an install that resolves anew (a wheel installed
next to other packages, `uv lock --upgrade-package`): it must never allow a version below the one
that fixed a published advisory.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

ROOT = Path(__file__).parents[3]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
LOCK = tomllib.loads((ROOT / "uv.lock").read_text())

REQUIREMENTS: dict[str, Requirement] = {
    (requirement := Requirement(line)).name: requirement for line in PROJECT["dependencies"]
}
LOCKED: dict[str, Version] = {
    package["name"]: Version(package["version"])
    for package in LOCK["package"]
    if "version" in package
}

# The first version without the advisory, for the packages that face the network or hold secrets.
FIXED_IN = {
    "strawberry-graphql": "0.315.7",  # CVE-2026-47707: alias limiter bypass through fragments
    "starlette": "0.49.1",  # CVE-2024-47874 (multipart DoS), CVE-2025-62727 (Range ReDoS)
    "h11": "0.16.0",  # CVE-2025-43859: request smuggling through chunked encoding
    "cryptography": "44.0.1",  # CVE-2024-12797: vulnerable OpenSSL in the wheels
    "fastapi": "0.115.0",
    "httpx": "0.28.1",
    "pymongo": "4.6.3",  # CVE-2024-5629: out-of-bounds read in the BSON module
    "pydantic": "2.4.0",  # CVE-2024-3772: ReDoS in email validation
    "aiokafka": "0.14.0",
    "faststream": "0.7.8",
    "uvicorn": "0.54.0",
}


def floor_of(requirement: Requirement) -> Version:
    floors = [Version(s.version) for s in requirement.specifier if s.operator in (">=", "==")]
    assert floors, f"{requirement.name} has no floor in pyproject.toml"
    return max(floors)


def test_strawberry_floor_excludes_the_alias_limiter_bypass() -> None:
    requirement = REQUIREMENTS["strawberry-graphql"]
    assert floor_of(requirement) >= Version("0.315.7")
    assert not requirement.specifier.contains("0.315.6")
    assert not requirement.specifier.contains("0.260.0")


@pytest.mark.parametrize("name", sorted(FIXED_IN))
def test_floor_excludes_versions_with_known_advisories(name: str) -> None:
    assert name in REQUIREMENTS, f"{name} needs a floor of its own in pyproject.toml"
    assert floor_of(REQUIREMENTS[name]) >= Version(FIXED_IN[name])


@pytest.mark.parametrize("name", sorted(FIXED_IN))
def test_the_lock_satisfies_the_floor(name: str) -> None:
    specifier: SpecifierSet = REQUIREMENTS[name].specifier
    assert specifier.contains(LOCKED[name], prereleases=True), (
        f"uv.lock has {name} {LOCKED[name]}, outside {specifier}: run `.tools/bin/uv lock`"
    )
