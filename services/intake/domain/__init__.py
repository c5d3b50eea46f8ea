"""Intake's pure logic: validated inputs, the focus-area vocabulary, needs and their
strengthening, survey files, and the documents and events made from them. No I/O here."""

from services.intake.domain.needs import (
    NeedReport,
    area_key,
    new_need,
    report_of,
    strengthened,
)
from services.intake.domain.profiles import (
    AdminInput,
    MemberInput,
    MemberRole,
    NetworkInput,
    OrganizationInput,
    OrganizationUpdate,
    ResourceInput,
    Role,
    WindowInput,
    archived_organization,
    check_removable,
    new_member,
    new_organization,
    normalized_name,
    updated_organization,
    with_focus_codes,
)
from services.intake.domain.survey import (
    ParsedSurvey,
    RejectedRow,
    SurveyRow,
    need_reports,
    parse_survey,
)
from services.intake.domain.vocabulary import FocusTerms, classify, focus_code, need_focus
from shared import contracts
from shared.contracts.requests.intake import EvidenceInput, NeedInput

__all__ = [
    "AdminInput",
    "EvidenceInput",
    "FocusTerms",
    "MemberInput",
    "MemberRole",
    "NeedInput",
    "NeedReport",
    "NetworkInput",
    "OrganizationInput",
    "OrganizationUpdate",
    "ParsedSurvey",
    "RejectedRow",
    "ResourceInput",
    "Role",
    "SurveyRow",
    "WindowInput",
    "archived_organization",
    "area_key",
    "check_removable",
    "classify",
    "contracts",
    "focus_code",
    "need_focus",
    "need_reports",
    "new_member",
    "new_need",
    "new_organization",
    "normalized_name",
    "parse_survey",
    "report_of",
    "strengthened",
    "updated_organization",
    "with_focus_codes",
]
