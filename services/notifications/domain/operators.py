"""Messages for a network's operator about network-wide events. The operator has no email in
intake, so these reach the operator's inbox only, keyed by the member id the gateway gives an
operator token (`operator:<network_id>`). Pure, like `templates`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.notifications.domain.templates import Audience, Message
from shared import contracts as c
from shared.contracts import operator_member_id


def _to_operator(network_id: str, subject_id: str) -> Audience:
    return Audience(network_id, subject_id, member_ids=[operator_member_id(network_id)])


def organization_registered(e: c.OrganizationRegistered) -> tuple[Message, Audience]:
    p = e.profile
    areas = ", ".join(p.focus_areas) or "no focus areas yet"
    return (
        Message(f"New organization: {p.name}", f"{p.name} joined the network ({areas})."),
        _to_operator(p.network_id, p.organization_id),
    )


def need_reported(e: c.NeedReported) -> tuple[Message, Audience]:
    n = e.need
    return (
        Message(
            f"Need reported: {n.title}",
            f"{n.focus_area} in {n.area}, severity {n.severity}/5.",
        ),
        _to_operator(n.network_id, n.need_id),
    )


def survey_imported(e: c.SurveyImported) -> tuple[Message, Audience]:
    return (
        Message(
            "Survey imported",
            f"{e.rows_imported} rows imported, {e.rows_rejected} rejected: "
            f"{e.needs_created} needs created, {e.needs_strengthened} strengthened.",
        ),
        _to_operator(e.network_id, e.survey_id),
    )


OPERATOR_TEMPLATES: dict[str, Callable[[Any], tuple[Message, Audience]]] = {
    "organization.registered": organization_registered,
    "need.reported": need_reported,
    "survey.imported": survey_imported,
}
