"""Reading a py-spy profile (`bench/_spy.py`): the shares BENCHMARKS.md quotes."""

from __future__ import annotations

from pathlib import Path

from bench._spy import top_frames


def test_top_frames_counts_a_function_once_per_stack_and_its_own_share(tmp_path: Path) -> None:
    collapsed = tmp_path / "registration-mongo.txt"
    collapsed.write_text(
        "main (server.py:10);handle (server.py:20);find (query.py:5) 6\n"
        "main (server.py:10);handle (server.py:20);encode (bson.py:3) 3\n"
        "main (server.py:10);handle (server.py:20);handle (server.py:20) 1\n"
        "garbage line\n"
    )
    top = {name: (inclusive, own) for name, inclusive, own in top_frames(collapsed)}
    assert top == {"find": (0.6, 0.6), "encode": (0.3, 0.3), "handle": (1.0, 0.1)}
    assert top_frames(tmp_path / "registration-mongo.txt", most=1)[0][0] == "find"


def test_an_empty_profile_has_no_frames(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    assert top_frames(empty) == []
