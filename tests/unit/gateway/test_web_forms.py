"""/app's forms as data: a posted form read into typed values with errors a person can act
on, and the API's BAD_USER_INPUT errors placed beside the field their input path names."""

from __future__ import annotations

from datetime import date

from starlette.datastructures import FormData

from services.gateway.web.api import ApiError
from services.gateway.web.forms import Field, FormState, end_of_day, parse, shown
from shared.i18n import Catalogs, Language, Text

FIELDS = [
    Field("title", Text("What will be done?"), missing=Text("Enter what will be done")),
    Field("dueAt", Text("Due date"), "date"),
    Field("quantity", Text("Quantity"), "number", required=False),
    Field("who", Text("Who"), "radios", options=(("a", "A"), ("b", "B"))),
    Field("wins", Text("Wins"), "lines", required=False),
]
ENGLISH, SPANISH = Catalogs.load().get("en"), Catalogs.load().get("es")


def drawn(errors: dict[str, Text | str], language: Language = ENGLISH) -> dict[str, str]:
    return {name: language(error) for name, error in errors.items()}


def test_empty_required_fields_get_their_own_message_and_optional_ones_none() -> None:
    state = parse(FIELDS, FormData([("title", "  "), ("quantity", "")]))
    assert drawn(state.errors) == {
        "title": "Enter what will be done",
        "dueAt": "Enter due date",
        "who": "Select who",
    }
    assert drawn(state.errors, SPANISH) == {
        "title": "Escriba qué se hará",
        "dueAt": "Complete este dato: fecha límite",
        "who": "Seleccione una opción: quién",
    }
    assert [anchor for anchor, _ in state.summary()] == ["field-title", "field-dueAt", "field-who"]


def test_values_are_typed_and_malformed_ones_named() -> None:
    good = parse(
        FIELDS,
        FormData(
            [("title", "Flyers"), ("dueAt", "2031-04-30"), ("quantity", "2.5"), ("who", "b"),
             ("wins", "one\n\n two \n")]
        ),
    )  # fmt: skip
    assert good.errors == {}
    assert good.values["dueAt"] == date(2031, 4, 30)
    assert good.values["quantity"] == 2.5
    assert good.values["wins"] == ["one", "two"]
    assert end_of_day(good.values["dueAt"]) == "2031-04-30T23:59:00+00:00"
    assert shown(good.values)["dueAt"] == "2031-04-30"

    bad = parse(
        FIELDS,
        FormData([("title", "x"), ("dueAt", "30/04/2031"), ("quantity", "lots"), ("who", "z")]),
    )
    assert drawn(bad.errors) == {
        "dueAt": "Due date must be a real date, like 2026-03-31",
        "quantity": "Quantity must be a number",
        "who": "Select who",
    }
    assert drawn(bad.errors, SPANISH)["dueAt"] == (
        "Fecha límite: escriba una fecha válida, como 2026-03-31"
    )
    assert drawn(bad.errors, SPANISH)["quantity"] == "Cantidad: escriba un número"


def test_api_errors_go_beside_the_field_their_path_names_else_above_the_form() -> None:
    state = FormState(FIELDS)
    state.api_errors(
        [
            ApiError("BAD_USER_INPUT", "quantity must be at least 0", "input.quantity"),
            ApiError("BAD_USER_INPUT", "too many wins", "input.wins[3]"),
            ApiError("CONFLICT", "a commitment with this title exists", None),
        ]
    )
    assert state.errors == {
        "quantity": "Quantity must be at least 0",
        "wins": "Too many wins",
    }
    assert state.other_errors == ["A commitment with this title exists"]
    assert state.summary()[-1] == ("", "A commitment with this title exists")


def test_every_drawn_form_has_its_own_idempotency_key() -> None:
    assert FormState(FIELDS).key != FormState(FIELDS).key
