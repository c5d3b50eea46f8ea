"""One rule for every text a client sends: no control characters. Tab, line feed and carriage
return (multi-line text) are allowed; every other C0 character (NUL, escape, ...), DEL and the
C1 range are refused with BAD_USER_INPUT naming the field.

Input models inherit `TextInput`; its validator runs after each field's own validation, on
strings and on the strings inside lists, sets and dicts (a nested model checks its own fields
when it is a `TextInput` too)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, field_validator
from pydantic_core import PydanticCustomError

ALLOWED_CONTROLS = "\t\n\r"
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def control_character(text: str) -> str | None:
    """The first control character of `text` that is not allowed, as `U+0000`, or None."""
    found = CONTROL_CHARACTERS.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def refuse_control_characters(value: Any) -> Any:
    """`value` unchanged, or PydanticCustomError naming the character and where it is."""
    if isinstance(value, str):
        bad = control_character(value)
        if bad is not None:
            raise PydanticCustomError(
                "control_character",
                "control characters are not allowed (found {character})",
                {"character": bad},
            )
    elif isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            _in_item(item, f"item {index}")
    elif isinstance(value, dict):
        for key, item in value.items():
            _in_item(key, f"key {key!r}")
            _in_item(item, f"the value of {key!r}")
    return value


def _in_item(item: Any, where: str) -> None:
    try:
        refuse_control_characters(item)
    except PydanticCustomError as exc:
        raise PydanticCustomError(
            "control_character",
            "control characters are not allowed (found {character} in {where})",
            {"character": (exc.context or {}).get("character"), "where": where},
        ) from None


class TextInput(BaseModel):
    """The base of every input model a client's text reaches."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        return refuse_control_characters(value)
