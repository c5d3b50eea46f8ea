"""Community needs: a report (from a member or a survey) becomes a need, or strengthens the
need already known for the same area and focus area instead of duplicating it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from services.intake.domain.vocabulary import need_focus, normalize_term
from shared.contracts.intake import Evidence, NeedProfile
from shared.contracts.requests.intake import NeedInput
from shared.events import new_id


@dataclass(frozen=True)
class NeedReport:
    """What one report says about a need; `focus_area` is already a vocabulary code."""

    title: str
    focus_area: str
    area: str
    severity: int
    description: str = ""
    required_resources: list[str] = field(default_factory=list)
    affected_populations: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str]:
        return area_key(self.area), self.focus_area


def area_key(area: str) -> str:
    """ "Eastside", " eastside " and "EASTSIDE!" are one area (words only, lower case)."""
    return normalize_term(area)


def report_of(data: NeedInput) -> NeedReport:
    return NeedReport(
        title=data.title,
        description=data.description,
        focus_area=need_focus(data.focus_area),
        area=data.area,
        severity=data.severity,
        required_resources=_union([], [str(r) for r in data.required_resources]),
        affected_populations=_union([], data.affected_populations),
        evidence=[Evidence(source=data.evidence.source, responses=data.evidence.responses)],
    )


def new_need(network_id: str, report: NeedReport, now: datetime) -> NeedProfile:
    return NeedProfile(
        need_id=new_id("need"),
        network_id=network_id,
        version=1,
        title=report.title,
        description=report.description,
        focus_area=report.focus_area,
        area=report.area,
        severity=report.severity,
        required_resources=report.required_resources,
        affected_populations=report.affected_populations,
        evidence=_merged_evidence([], report.evidence),
        created_at=now,
    )


def strengthened(current: NeedProfile, report: NeedReport) -> NeedProfile:
    """The same need reported again: evidence adds up per source, severity is the highest
    reported, resources and populations are the union; title and description stay."""
    return current.model_copy(
        update={
            "version": current.version + 1,
            "severity": max(current.severity, report.severity),
            "required_resources": _union(current.required_resources, report.required_resources),
            "affected_populations": _union(
                current.affected_populations, report.affected_populations
            ),
            "evidence": _merged_evidence(current.evidence, report.evidence),
            "description": current.description or report.description,
        }
    )


def _union(first: list[str], second: list[str]) -> list[str]:
    out = list(first)
    for item in second:
        if item not in out:
            out.append(item)
    return out


def _merged_evidence(current: list[Evidence], added: list[Evidence]) -> list[Evidence]:
    totals: dict[str, int] = {}
    for item in [*current, *added]:
        totals[item.source] = totals.get(item.source, 0) + item.responses
    return [Evidence(source=source, responses=count) for source, count in totals.items()]
