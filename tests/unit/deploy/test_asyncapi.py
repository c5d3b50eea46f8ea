"""The AsyncAPI document: every `$ref` resolves inside it, no `$defs` is left in a payload,
every channel has an operation, and the official parser (`@asyncapi/parser`, under Node)
finds it valid. Without Node the parser test is skipped, except in CI, where it must run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from deploy.asyncapi import asyncapi_document
from deploy.cli import app

VALIDATOR = Path(__file__).parents[3] / "deploy" / "asyncapi-validate"


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_every_ref_resolves_and_no_defs_are_left() -> None:
    document = asyncapi_document()
    assert "$defs" not in json.dumps(document)
    for ref in set(refs(document)):
        assert resolve(document, ref), ref


def test_every_channel_has_an_operation_sending_its_messages() -> None:
    document = asyncapi_document()
    operated = {op["channel"]["$ref"] for op in document["operations"].values()}
    assert operated == {f"#/channels/{name}" for name in document["channels"]}
    for op in document["operations"].values():
        channel = resolve(document, op["channel"]["$ref"])
        for message in op["messages"]:
            assert resolve(document, message["$ref"]) in channel["messages"].values()


def test_the_cli_writes_the_document_to_a_file_or_stdout(tmp_path: Path) -> None:
    target = tmp_path / "asyncapi.json"
    assert CliRunner().invoke(app, ["asyncapi", "--output", str(target)]).exit_code == 0
    assert json.loads(target.read_text()) == asyncapi_document()
    printed = CliRunner().invoke(app, ["asyncapi"])
    assert json.loads(printed.stdout) == asyncapi_document()


def test_the_official_asyncapi_parser_finds_the_document_valid(tmp_path: Path) -> None:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not (node and npm):
        if os.environ.get("CI"):
            pytest.fail("CI must validate the AsyncAPI document: Node and npm are missing")
        pytest.skip("Node and npm are not installed (CI installs them)")
    if not (VALIDATOR / "node_modules" / "@asyncapi" / "parser").is_dir():
        subprocess.run(
            [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
            cwd=VALIDATOR,
            check=True,
            timeout=600,
        )
    target = tmp_path / "asyncapi.json"
    target.write_text(json.dumps(asyncapi_document()))
    checked = subprocess.run(
        [node, "validate.mjs", str(target)],
        cwd=VALIDATOR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "valid AsyncAPI 3.0.0" in checked.stdout
