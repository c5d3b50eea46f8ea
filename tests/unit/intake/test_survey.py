"""Survey files: whole-file problems are BAD_USER_INPUT on `csv`; bad rows are rejected one by
one with their row number and field; good rows group into need reports."""

from __future__ import annotations

import base64

import pytest

from services.intake.domain.needs import NeedInput, new_need, report_of, strengthened
from services.intake.domain.survey import need_reports, parse_survey, severity_for
from shared.errors import AppError, ErrorCode

GOOD = (
    "area,concern,comment,age_group,population\n"
    "Eastside,mental health,Teens are stressed,13-17,youth\n"
    "eastside ,Counseling,No counselor at school,,parents\n"
    "Westside,recycling,Bins overflow,,\n"
)
LATIN_1 = "area,concern,comment\nCafé,food,x\n".encode("latin-1")


def test_good_rows_group_by_area_and_focus_code() -> None:
    parsed = parse_survey(GOOD)
    assert parsed.rejected == []
    assert [r.row for r in parsed.rows] == [2, 3, 4]
    reports = need_reports(parsed.rows)
    assert [(r.area, r.focus_area, r.evidence[0].responses) for r in reports] == [
        ("Eastside", "mental_health", 2),
        ("Westside", "environment", 1),
    ]
    assert reports[0].title == "Mental health in Eastside"
    assert reports[0].affected_populations == ["youth", "ages 13-17", "parents"]
    assert reports[0].evidence[0].source == "survey"


def test_bad_rows_are_rejected_with_row_and_field() -> None:
    text = (
        GOOD
        + ",housing,no area,,\nNorth,,no concern,,\nNorth,food,x,,,extra\n"
        + ("South,food," + "x" * 2001 + ",,\n")
    )
    parsed = parse_survey(text)
    assert len(parsed.rows) == 3
    assert [(r.row, r.field) for r in parsed.rejected] == [
        (5, "area"),
        (6, "concern"),
        (7, "csv"),
        (8, "comment"),
    ]


def test_blank_lines_are_skipped_and_a_bom_is_accepted() -> None:
    parsed = parse_survey("\ufeffArea,Concern,Comment\n\nNorth,food,x\n")
    assert [r.row for r in parsed.rows] == [3]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("area,concern\nNorth,food\n", "missing required column(s): comment"),
        ("", "empty"),
        (
            "data:text/csv;base64,"
            + base64.b64encode("area,concern,comment\nCafé,food,x\n".encode("latin-1")).decode(),
            "not UTF-8",
        ),
        ("area,concern,comment\nNorth\udc80,food,x\n", "not valid UTF-8"),
        ("area,concern,comment\nNorth\ufffd,food,x\n", "not UTF-8"),
    ],
)
def test_whole_file_problems_name_the_csv_field(text: str, words: str) -> None:
    with pytest.raises(AppError) as raised:
        parse_survey(text)
    assert raised.value.code is ErrorCode.BAD_USER_INPUT
    assert raised.value.field == "csv"
    assert words in raised.value.message


def test_a_data_url_in_utf8_is_read_and_hashed_like_the_text() -> None:
    text = "area,concern,comment\nCafé district,food,x\n"
    url = "data:text/csv;base64," + base64.b64encode(text.encode()).decode()
    assert parse_survey(url).sha256 == parse_survey(text).sha256
    assert parse_survey(url).rows[0].area == "Café district"


def test_progress_is_reported_every_n_rows() -> None:
    seen: list[int] = []
    parse_survey("area,concern,comment\n" + "North,food,x\n" * 25, seen.append, every=10)
    assert seen == [10, 20]


def test_severity_grows_with_responses() -> None:
    assert [severity_for(n) for n in (1, 2, 4, 5, 19, 20, 49, 50, 5000)] == [
        1, 2, 2, 3, 3, 4, 4, 5, 5,
    ]  # fmt: skip


def test_a_need_reported_again_is_strengthened() -> None:
    first = NeedInput(
        network_id="net_1", title="Counseling for teens", focus_area="counseling",
        area="Eastside", severity=2, required_resources=["counseling"],  # type: ignore[list-item]
        evidence={"source": "report", "responses": 3},  # type: ignore[arg-type]
    )  # fmt: skip
    need = new_need("net_1", report_of(first), now=None)  # type: ignore[arg-type]
    again = first.model_copy(
        update={"severity": 4, "required_resources": ["venue"], "title": "Other title"}
    )
    more = strengthened(need, report_of(again))
    assert more.version == 2 and more.need_id == need.need_id
    assert more.severity == 4 and more.title == "Counseling for teens"
    assert more.required_resources == ["counseling", "venue"]
    assert [(e.source, e.responses) for e in more.evidence] == [("report", 6)]
    assert need.focus_area == "mental_health"
