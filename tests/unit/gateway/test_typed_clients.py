"""Typed internal calls (issue 23, item 3): the gateway turns its GraphQL inputs into the routes'
request models in one generic step, validated before the call with the field the service would
name; a typed client sends only what the model holds and reads the answer as its contract."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from services.gateway.schema.commitments import MakeCommitmentInput, UpdatePartnershipInput
from services.gateway.schema.enums import CheckInCadence, ResourceKind
from services.gateway.schema.intake import AdminInput, RegisterOrganizationInput, ResourceInput
from services.gateway.schema.mapping import including, request
from services.gateway.schema.preferences import NotificationPreferencesInput
from shared.clients import CommitmentsClient
from shared.contracts.requests import commitments as rq
from shared.contracts.requests import intake as rqi
from shared.contracts.requests import notifications as rqn
from shared.errors import AppError, ErrorCode
from shared.http import ServiceClient, install_error_handlers

DUE = datetime(2026, 3, 1, tzinfo=UTC)


def test_an_input_becomes_the_routes_request_by_field_name() -> None:
    given = MakeCommitmentInput(
        partnership_id="ptn_1", owner_organization_id="org_a", title=" Flyers ", due_at=DUE
    )
    made = request(rq.MakeCommitment, input=given, by_organization_id="org_b")
    # the id that goes in the path is not sent; the model's own rules ran (stripped title)
    assert made.input.title == "Flyers" and made.by_organization_id == "org_b"
    assert "partnership_id" not in made.input.model_dump()


def test_nested_inputs_and_lists_of_them_build_the_nested_models() -> None:
    given = RegisterOrganizationInput(
        network_id="net_1",
        name="GreenLeaf",
        admin=AdminInput(name="Ann", email="ann@greenleaf.org"),
        offers=[ResourceInput(kind=ResourceKind.OUTREACH, quantity=2)],
        join_code="J-1",
    )
    registration = request(rqi.RegisterOrganization, input=given, join_code=given.join_code)
    assert registration.input.admin.email == "ann@greenleaf.org"
    assert registration.input.offers[0].kind is ResourceKind.OUTREACH
    assert registration.join_code == "J-1"


def test_fields_the_client_does_not_send_are_given() -> None:
    changes = UpdatePartnershipInput(check_in_cadence=CheckInCadence.MONTHLY)
    wrapped = including(changes, name="Renamed")
    update = request(rq.UpdatePartnership, input=wrapped)
    assert update.input.name == "Renamed"
    assert update.input.check_in_cadence is CheckInCadence.MONTHLY


def test_a_bad_value_is_bad_user_input_naming_the_path_the_service_would_name() -> None:
    given = MakeCommitmentInput(
        partnership_id="ptn_1", owner_organization_id="org_a", title="x" * 201, due_at=DUE
    )
    with pytest.raises(AppError) as caught:
        request(rq.MakeCommitment, input=given)
    assert caught.value.code is ErrorCode.BAD_USER_INPUT
    assert caught.value.field == "input.title"
    bad_email = RegisterOrganizationInput(
        network_id="net_1", name="G", admin=AdminInput(name="Ann", email="not-an-email")
    )
    with pytest.raises(AppError) as caught:
        request(rqi.RegisterOrganization, input=bad_email)
    assert caught.value.field == "input.admin.email"


def test_only_the_fields_given_are_sent_so_a_null_still_clears() -> None:
    patch = NotificationPreferencesInput(quiet_hours=None, digest_hour=7)
    sent = request(rqn.UpdatePreferences, input=patch).model_dump(mode="json", exclude_unset=True)
    assert sent == {"input": {"quiet_hours": None, "digest_hour": 7}}


def client_over(app: FastAPI) -> CommitmentsClient:
    install_error_handlers(app)
    transport = httpx.ASGITransport(app=app)
    return CommitmentsClient(
        ServiceClient("commitments", "http://c", "t", 5.0, transport=transport)
    )


async def test_an_answer_is_read_as_its_contract() -> None:
    app = FastAPI()

    @app.get("/reliability/by-organization")
    async def reliability(ids: str) -> dict[str, object]:
        return {"items": {i: {"score": 0.5, "closed_commitments": 2} for i in ids.split(",")}}

    found = await client_over(app).reliability(["org_a", "org_b"])
    assert found["org_b"].score == 0.5 and found["org_b"].closed_commitments == 2


async def test_an_answer_out_of_contract_is_internal_not_the_callers_bad_input() -> None:
    app = FastAPI()

    @app.get("/commitments/{commitment_id}")
    async def commitment(commitment_id: str) -> dict[str, object]:
        return {"id": commitment_id}  # most of a CommitmentView is missing

    with pytest.raises(AppError) as caught:
        await client_over(app).commitment("cmt_1")
    assert caught.value.code is ErrorCode.INTERNAL


async def test_a_route_the_service_does_not_have_is_not_found() -> None:
    with pytest.raises(AppError) as caught:
        await client_over(FastAPI()).set_clock(None)
    assert caught.value.code is ErrorCode.NOT_FOUND
