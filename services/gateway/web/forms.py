"""Forms as data: each field's label, kind and hint, read from a posted form into values,
with the errors a person can act on ("Enter a title"), and the API's BAD_USER_INPUT errors
put beside the field their input path names. The templates draw them with the same macros
(GOV.UK Design System patterns: a question as the heading, an error summary on top linking
to each field)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from starlette.datastructures import FormData, UploadFile

from services.gateway.web.api import ApiError
from shared.i18n import LowerFirst, Text

IDEMPOTENCY_FIELD = "idempotency_key"
MAX_UPLOAD_BYTES = 1_000_000


@dataclass(frozen=True)
class Field:
    """Labels, hints and errors are Text (drawn in the reader's language); an option's label
    may be data (a partner's name: a str, shown as it is)."""

    name: str
    label: Text | str
    kind: str = (
        "text"  # text, textarea, lines, number, integer, date, radios, checkboxes, select, file
    )
    hint: Text | str | None = None
    required: bool = True
    options: tuple[tuple[str, Text | str], ...] = ()  # (value, label)
    api: str = ""  # the input path whose errors belong here; `input.<name>` by default
    missing: Text | str | None = None  # the error when left empty (a label reads badly)

    @property
    def path(self) -> str:
        return self.api or f"input.{self.name}"


@dataclass
class FormState:
    """A form as drawn: its values (as typed), its errors by field, a fresh Idempotency-Key."""

    fields: list[Field]
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, Text | str] = field(default_factory=dict)  # str: the API's words
    other_errors: list[Text | str] = field(default_factory=list)
    key: str = field(default_factory=lambda: secrets.token_urlsafe(16))

    def summary(self) -> list[tuple[str, Text | str]]:
        """(anchor, message) for the error summary, in the fields' order."""
        found = [
            (f"field-{f.name}", self.errors[f.name]) for f in self.fields if f.name in self.errors
        ]
        return found + [("", message) for message in self.other_errors]

    def api_errors(self, errors: list[ApiError]) -> None:
        """Each error beside the field its input path names, else above the form."""
        for error in errors:
            target = next(
                (f for f in self.fields if error.field and matches(f.path, error.field)), None
            )
            if target is not None and target.name not in self.errors:
                self.errors[target.name] = sentence(error.message)
            else:
                self.other_errors.append(sentence(error.message))


def matches(path: str, error_field: str) -> bool:
    """`input.title` holds errors of `input.title` and `input.title[0]`, `input.evidence.x`."""
    return error_field == path or error_field.startswith((f"{path}.", f"{path}["))


def sentence(message: str) -> Text | str:
    message = message.strip()
    return (message[:1].upper() + message[1:]) if message else Text("Check this answer")


def _number(text: str, whole: bool) -> int | float:
    return int(text) if whole else float(text)


def parse(fields: list[Field], form: FormData) -> FormState:
    """The values of a posted form, typed, with an error for each missing or malformed one."""
    state = FormState(fields)
    for f in fields:
        if f.kind == "checkboxes":
            chosen = [str(v) for v in form.getlist(f.name)]
            state.values[f.name] = chosen
            if f.required and not chosen:
                state.errors[f.name] = f.missing or Text(
                    "Select at least one: %(label)s", label=LowerFirst(f.label)
                )
            continue
        raw = form.get(f.name)
        if f.kind == "file":
            state.values[f.name] = raw if isinstance(raw, UploadFile) and raw.filename else None
            if f.required and state.values[f.name] is None:
                state.errors[f.name] = f.missing or Text(
                    "Select %(label)s", label=LowerFirst(f.label)
                )
            continue
        text = raw.strip() if isinstance(raw, str) else ""
        state.values[f.name] = text
        if not text:
            if f.required:
                label = LowerFirst(f.label)
                state.errors[f.name] = f.missing or (
                    Text("Select %(label)s", label=label)
                    if f.kind in ("radios", "select")
                    else Text("Enter %(label)s", label=label)
                )
            continue
        try:
            if f.kind in ("number", "integer"):
                state.values[f.name] = _number(text, f.kind == "integer")
            elif f.kind == "date":
                state.values[f.name] = date.fromisoformat(text)
            elif f.kind == "lines":
                state.values[f.name] = [line.strip() for line in text.splitlines() if line.strip()]
            elif f.options and text not in {v for v, _ in f.options}:
                state.errors[f.name] = Text("Select %(label)s", label=LowerFirst(f.label))
        except ValueError:
            state.errors[f.name] = MALFORMED.get(f.kind, MALFORMED["number"]).using(label=f.label)
    return state


MALFORMED = {
    "integer": Text("%(label)s must be a whole number"),
    "number": Text("%(label)s must be a number"),
    "date": Text("%(label)s must be a real date, like 2026-03-31"),
}


def end_of_day(day: date) -> str:
    """A due date as the API's DateTime: the end of that day, UTC."""
    return datetime.combine(day, time(23, 59), UTC).isoformat()


def noon(day: date) -> str:
    return datetime.combine(day, time(12, 0), UTC).isoformat()


def shown(values: dict[str, Any]) -> dict[str, Any]:
    """Values as a form draws them again (lists one per line, dates ISO)."""
    drawn: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            drawn[name] = value
        elif isinstance(value, date):
            drawn[name] = value.isoformat()
        elif isinstance(value, UploadFile) or value is None:
            drawn[name] = ""
        else:
            drawn[name] = value
    return drawn
