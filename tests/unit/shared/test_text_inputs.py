"""Control characters are refused in every text field of every input model, naming the field;
tab, line feed and carriage return pass (multi-line text)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError

from services.commitments.api import Body
from services.commitments.domain.models import FeedbackInput, Strict
from services.intake.api.members import MemberBody, RemoveBody
from services.intake.api.needs import NeedBody
from services.intake.api.networks import TokenBody
from services.intake.api.organizations import RegisterBody, UpdateBody
from services.intake.api.surveys import SurveyBody
from services.intake.domain.profiles import Input, OrganizationInput
from services.matching.api import ResponseBody
from services.notifications.api.inbox import ReadBody
from services.notifications.api.preferences import PreferencesBody
from services.notifications.api.webhooks import WebhookBody
from services.notifications.domain.preferences import Model
from shared.contracts.text import TextInput, control_character
from shared.http import install_error_handlers


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Riverside Food Bank", None),
        ("café, naïve, 東京, 🌱", None),
        ("line one\nline two\r\n\tindented", None),
        ("nul\x00byte", "U+0000"),
        ("bell\x07", "U+0007"),
        ("vertical\x0btab", "U+000B"),
        ("escape\x1b[31m", "U+001B"),
        ("delete\x7f", "U+007F"),
        ("c1 next line\x85", "U+0085"),
        ("c1 csi\x9b", "U+009B"),
    ],
)
def test_control_characters_but_tab_and_line_breaks(text: str, found: str | None) -> None:
    assert control_character(text) == found


class Nested(TextInput):
    label: str


class Sample(TextInput):
    name: str
    description: str = ""
    tags: list[str] = []
    labels: dict[str, str] = {}
    nested: Nested | None = None
    count: int = 0


def errors_of(**data: object) -> list[tuple[tuple[str | int, ...], str]]:
    with pytest.raises(ValidationError) as caught:
        Sample.model_validate(data)
    return [(tuple(e["loc"]), e["msg"]) for e in caught.value.errors()]


def test_the_error_names_the_field_and_the_character() -> None:
    assert errors_of(name="a\x00b") == [
        (("name",), "control characters are not allowed (found U+0000)")
    ]
    assert errors_of(name="ok", tags=["fine", "bad\x1b"]) == [
        (("tags",), "control characters are not allowed (found U+001B in item 1)")
    ]
    assert errors_of(name="ok", labels={"k": "v\x7f"}) == [
        (("labels",), "control characters are not allowed (found U+007F in the value of 'k')")
    ]
    assert errors_of(name="ok", nested={"label": "\x01"}) == [
        (("nested", "label"), "control characters are not allowed (found U+0001)")
    ]
    multi_line = Sample(name="ok", description="first\r\nsecond\tthird")
    assert multi_line.description == "first\r\nsecond\tthird"


class Register(TextInput):
    input: Sample


def test_a_service_answers_bad_user_input_naming_the_field() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/register")
    async def register(body: Register) -> dict[str, str]:
        return {"name": body.input.name}

    client = TestClient(app)
    assert client.post("/register", json={"input": {"name": "ok\n"}}).status_code == 200
    response = client.post("/register", json={"input": {"name": "Food\x00Bank"}})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "BAD_USER_INPUT"
    assert error["field"] == "input.name"
    assert "U+0000" in error["message"]


@pytest.mark.parametrize(
    "model",
    [
        Input,  # every intake input model
        Strict,  # every commitments input model
        Model,  # notification preferences
        Body,
        MemberBody,
        RemoveBody,
        NeedBody,
        TokenBody,
        RegisterBody,
        UpdateBody,
        SurveyBody,
        ResponseBody,
        ReadBody,
        WebhookBody,
        PreferencesBody,
    ],
)
def test_every_input_model_refuses_control_characters(model: type[BaseModel]) -> None:
    assert issubclass(model, TextInput)


@pytest.mark.parametrize(
    ("model", "data", "field"),
    [
        (OrganizationInput, {"name": "Food\x00Bank"}, "name"),
        (FeedbackInput, {"comment": "late\x1b[2J"}, "comment"),
    ],
)
def test_real_input_models_name_the_field(
    model: type[BaseModel], data: dict[str, str], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    refused = [e["loc"] for e in caught.value.errors() if e["type"] == "control_character"]
    assert refused == [(field,)]
