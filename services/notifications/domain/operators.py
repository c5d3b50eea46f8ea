"""Messages for a network's operator about network-wide events. The operator has no email in
intake, so these reach the operator's inbox only, keyed by the member id the gateway gives an
operator token (`operator:<network_id>`). Pure, like `templates`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.notifications.domain.templates import Audience, Message
from shared import contracts as c
from shared.contracts import operator_member_id
from shared.i18n import Text


def _to_operator(network_id: str, subject_id: str) -> Audience:
    return Audience(network_id, subject_id, member_ids=[operator_member_id(network_id)])


def organization_registered(e: c.OrganizationRegistered) -> tuple[Message, Audience]:
    p = e.profile
    areas = ", ".join(p.focus_areas) or Text("no focus areas yet")
    return (
        Message(
            Text("New organization: %(name)s", name=p.name),
            Text("%(name)s joined the network (%(areas)s).", name=p.name, areas=areas),
        ),
        _to_operator(p.network_id, p.organization_id),
    )


def need_reported(e: c.NeedReported) -> tuple[Message, Audience]:
    n = e.need
    return (
        Message(
            Text("Need reported: %(title)s", title=n.title),
            Text(
                "%(focus)s in %(area)s, severity %(severity)s/5.",
                focus=n.focus_area,
                area=n.area,
                severity=n.severity,
            ),
        ),
        _to_operator(n.network_id, n.need_id),
    )


def survey_imported(e: c.SurveyImported) -> tuple[Message, Audience]:
    return (
        Message(
            Text("Survey imported"),
            Text(
                "%(imported)s rows imported, %(rejected)s rejected: "
                "%(created)s needs created, %(strengthened)s strengthened.",
                imported=e.rows_imported,
                rejected=e.rows_rejected,
                created=e.needs_created,
                strengthened=e.needs_strengthened,
            ),
        ),
        _to_operator(e.network_id, e.survey_id),
    )


OPERATOR_TEMPLATES: dict[str, Callable[[Any], tuple[Message, Audience]]] = {
    "organization.registered": organization_registered,
    "need.reported": need_reported,
    "survey.imported": survey_imported,
}
