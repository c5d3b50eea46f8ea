"""The README's walkthrough runs as written, so it cannot rot.

The shell blocks of its first section ("Two commands") are pasted into bash, one terminal
each, in a directory that looks like a checkout (`.venv`, `Makefile` ...) with the session
stack's ports in `.env`, as the README tells users to put them, and with no `COMMONWEAVE_*`
variable nor any variable the walkthrough sets in the environment. Each block must exit 0
under `set -euo pipefail` (so a variable the walkthrough uses but never sets fails it), every
variable its comments say it sets must be set, and an answer the README shows in a comment
(`# {"data": ...}`) must be what comes back, `…` standing for any text. The README says the
welcome may take a second to arrive, so a command with a shown answer is run again, as a
reader would, until the answer appears (for at most 30 s). Blocks that start the stack or run
the whole test suite (`make run`, `make test`) are skipped: the session stack is running."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from deploy.stack import Stack
from shared.settings import SERVICES

ROOT = Path(__file__).parents[3]
README = ROOT / "README.md"
SECTION = "## Two commands"
SKIP = re.compile(r"^\s*make (run|test)\b", re.MULTILINE)
FENCE = re.compile(r"^```(?:sh|bash)\n(.*?)^```", re.MULTILINE | re.DOTALL)
COMMENT = re.compile(r"(?:^|\s)#\s?(.*)$")
# a NAME_LIKE_THIS a comment says the block sets (not DEMO_TOKEN_<ORG>, a family of names)
VARIABLE = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b(?![_<])")
USED = re.compile(r"\$\{?([A-Z][A-Z0-9_]*)")
# what a checkout has that the walkthrough touches: the environment and what `make` reads
CHECKOUT = (".venv", ".tools", "Makefile", "pyproject.toml", "uv.lock")


@dataclass
class Block:
    line: int  # of the opening fence in README.md
    text: str
    sets: list[str] = field(default_factory=list)  # variables its comments say it sets
    answers: list[tuple[int, str]] = field(default_factory=list)  # (line in block, answer)

    @property
    def skipped(self) -> bool:
        return bool(SKIP.search(self.text))


def walkthrough(markdown: str) -> list[Block]:
    start = markdown.index(SECTION)
    end = markdown.find("\n## ", start + len(SECTION))
    blocks = []
    for match in FENCE.finditer(markdown, start, end if end > 0 else len(markdown)):
        block = Block(markdown.count("\n", 0, match.start()) + 1, match.group(1))
        for number, line in enumerate(block.text.splitlines()):
            comment = COMMENT.search(line)
            if comment is None:
                continue
            if comment.group(1).startswith(("{", "[")):  # an answer the README shows
                block.answers.append((number, comment.group(1)))
            else:
                block.sets += VARIABLE.findall(comment.group(1))
        block.sets = list(dict.fromkeys(block.sets))
        blocks.append(block)
    return blocks


BLOCKS = walkthrough(README.read_text(encoding="utf-8"))


def fragments(answer: str) -> list[str]:
    return [part for part in answer.split("…") if part]


def appears(answer: str, output: str) -> bool:
    """Every piece of `answer` between the `…`, in order."""
    at = 0
    for part in fragments(answer):
        at = output.find(part, at)
        if at < 0:
            return False
        at += len(part)
    return True


def script(block: Block) -> str:
    """The block as bash runs it: strict, each command with a shown answer run until the
    answer appears, and then a check of every variable the block says it sets."""
    lines = block.text.splitlines()
    out = ["set -euo pipefail"]
    done = 0
    for number, answer in block.answers:
        begin = number
        while begin > done and lines[begin - 1].strip():
            begin -= 1  # the command is the paragraph above the answer
        out += lines[done:begin]
        command = "\n".join(lines[begin:number])
        first = fragments(answer)[0]
        out += [
            "for _attempt in $(seq 60); do",
            f"  _answer=$({command}\n)",
            f"  [[ $_answer == *{quote(first)}* ]] && break",
            "  sleep 0.5",
            "done",
            "printf '%s\\n' \"$_answer\"",
        ]
        done = number + 1
    out += lines[done:]
    out += [f': "${{{name}:?the README says this block sets {name}}}"' for name in block.sets]
    return "\n".join(out) + "\n"


def quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


@pytest.fixture(scope="module")
def checkout(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory like a fresh checkout whose `.env` moves the ports to the session stack."""
    directory = tmp_path_factory.mktemp("checkout")
    for name in CHECKOUT:
        if (ROOT / name).exists():
            (directory / name).symlink_to(ROOT / name)
    settings = stack.settings
    ports = [f"COMMONWEAVE_{s.upper()}_PORT={settings.port_of(s)}" for s in SERVICES]
    servers = [
        f"COMMONWEAVE_KAFKA_BOOTSTRAP={settings.kafka_bootstrap}",
        f"COMMONWEAVE_MONGO_URL={settings.mongo_url}",
    ]
    (directory / ".env").write_text("\n".join([*ports, *servers]) + "\n")
    return directory


def clean_environment() -> dict[str, str]:
    """This process's environment without what the walkthrough must set or read from `.env`."""
    used = {name for block in BLOCKS for name in USED.findall(block.text)}
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("COMMONWEAVE_", "MAKE", "MFLAGS"))
        and name not in used
        and name not in ("DEMO_ANCHOR", "VIRTUAL_ENV")
    }


def test_the_walkthrough_has_blocks_to_run() -> None:
    runnable = [block for block in BLOCKS if not block.skipped]
    assert len(runnable) >= 2, [block.text for block in BLOCKS]
    assert any(block.answers for block in runnable)
    assert all(block.sets for block in runnable)
    assert [block for block in BLOCKS if block.skipped], "make run is the first step"


@pytest.mark.parametrize("block", BLOCKS, ids=[f"README.md:{block.line}" for block in BLOCKS])
def test_a_walkthrough_block_runs_as_written(block: Block, checkout: Path) -> None:
    if block.skipped:
        pytest.skip("starts the stack or runs every test: the session stack stands in for it")
    done = subprocess.run(
        ["bash", "-c", script(block)],
        cwd=checkout,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=240,
    )
    where = f"README.md line {block.line}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
    assert done.returncode == 0, where
    for _, answer in block.answers:
        assert appears(answer, done.stdout), f"the README shows {answer}\n{where}"
