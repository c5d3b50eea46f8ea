"""Bad registrations through GraphQL: a clear BAD_USER_INPUT naming the input path, and
nothing written (the same organization registers fine once corrected)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.organizations import REGISTER, registration
from tests.support.stack import Client


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"offers": [{"kind": "OUTREACH", "quantity": -3}]}, "input.offers[0].quantity"),
        ({"timeZone": "Mars/Olympus_Mons"}, "input.timeZone"),
        ({"name": "x" * 201}, "input.name"),
        ({"name": "Northside\x00School"}, "input.name"),  # control characters
        ({"admin": {"name": "Pat\x1b[2J", "email": "pat@northside.edu"}}, "input.admin.name"),
        ({"admin": {"name": "Ann", "email": "not-an-email"}}, "input.admin.email"),
        (
            {
                "availability": [
                    {"day": "Tuesday", "start": "17:00", "end": "20:00"},
                    {"day": "tue", "start": "19:00", "end": "21:00"},
                ]
            },
            "input.availability",
        ),
        (
            {"availability": [{"day": "Monday", "start": "25:00", "end": "26:00"}]},
            "input.availability[0].start",
        ),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    operator: Client, network: dict[str, str], change: dict[str, Any], field: str
) -> None:
    good = registration(network["networkId"], "Northside School", "pat@northside.edu")
    errors = operator.errors(REGISTER, {"input": {**good, **change}})
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert errors[0]["extensions"]["field"] == field
    operator.data(REGISTER, {"input": good})  # not a duplicate: nothing was half-written


def test_the_same_organization_twice_is_a_conflict_naming_the_first(
    operator: Client, network: dict[str, str]
) -> None:
    first = operator.data(
        REGISTER, {"input": registration(network["networkId"], "GreenLeaf Inc.", "a@gl.org")}
    )["registerOrganization"]["organization"]["id"]
    errors = operator.errors(
        REGISTER, {"input": registration(network["networkId"], "greenleaf", "b@gl.org")}
    )
    assert errors[0]["extensions"]["code"] == "CONFLICT"
    assert errors[0]["extensions"]["existingId"] == first


def test_another_networks_id_without_its_join_code_is_not_found(
    gql: Client, network: dict[str, str]
) -> None:
    errors = gql.errors(
        REGISTER,
        {"input": {**registration(network["networkId"], "Probe", "p@x.org"), "joinCode": "guess"}},
    )
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"
    joined = gql.data(
        REGISTER,
        {
            "input": {
                **registration(network["networkId"], "Joiner", "j@x.org"),
                "joinCode": network["joinCode"],
            }
        },
    )
    assert joined["registerOrganization"]["adminToken"]
