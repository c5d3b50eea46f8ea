"""Running partnerships in tests: the commitments service's clock, its scheduler, and the
GraphQL documents the tests share."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from deploy.stack import Stack
from tests.support import http
from tests.support.stack import Client

PARTNERSHIP = """
  id name status goals checkInCadence organizationIds
  roles { organizationId title responsibilities suggested }
  health { score label parts { name score weight detail } }
"""
FORM = (
    f"""mutation($i: FormPartnershipInput!) {{ formPartnership(input: $i) {{ {PARTNERSHIP} }} }}"""
)
COMMIT = """mutation($i: MakeCommitmentInput!) {
  makeCommitment(input: $i) { id status dueAt ownerOrganizationId } }"""
UPDATE = """mutation($id: ID!, $s: CommitmentStatus!) {
  updateCommitment(id: $id, status: $s) { id status closedAt } }"""
CHECK_IN = """mutation($i: RecordCheckInInput!) { recordCheckIn(input: $i) { id heldAt } }"""


def service_call(stack: Stack, method: str, url: str, body: Any = None) -> Any:
    token = stack.settings.service_token.get_secret_value()
    response = http.request(method, url, json=body, headers={"X-Service-Token": token}, timeout=30)
    response.raise_for_status()
    return response.json()


def set_clock(stack: Stack, moment: datetime | None, url: str | None = None) -> None:
    base = url or stack.service_url("commitments")
    service_call(stack, "PUT", f"{base}/clock", {"now": moment.isoformat() if moment else None})


def tick(stack: Stack, url: str | None = None) -> int:
    base = url or stack.service_url("commitments")
    sent: int = service_call(stack, "POST", f"{base}/scheduler/tick")["sent"]
    return sent


def form(client: Client, name: str, organization_ids: list[str], **extra: Any) -> dict[str, Any]:
    body = {"name": name, "organizationIds": organization_ids, **extra}
    found: dict[str, Any] = client.data(FORM, {"i": body})["formPartnership"]
    return found
