"""Neighborhood survey files: decoding, row validation and grouping into need reports.

A file is CSV with a header row naming at least `area`, `concern` and `comment`; optional
demographic columns (`population`, `age_group`) add affected populations. Problems with the
whole file (not UTF-8, a missing column, too many rows) reject it as a whole; a bad row is
rejected on its own and the good rows are imported. Rows are numbered as a spreadsheet shows
them: the header is row 1."""

from __future__ import annotations

import base64
import binascii
import csv
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from services.intake.domain.needs import NeedReport, area_key
from services.intake.domain.vocabulary import label_of, need_focus
from shared.contracts.intake import Evidence
from shared.errors import bad_input

REQUIRED_COLUMNS = ("area", "concern", "comment")
POPULATION_COLUMNS = {"population": "{}", "populations": "{}", "age_group": "ages {}"}
MAX_ROWS = 200_000
MAX_AREA, MAX_CONCERN, MAX_COMMENT = 200, 200, 2000
SURVEY_SOURCE = "survey"
DATA_URL_PREFIX = "data:"


@dataclass(frozen=True)
class SurveyRow:
    row: int
    area: str
    area_key: str
    focus_area: str
    comment: str
    populations: tuple[str, ...] = ()


@dataclass(frozen=True)
class RejectedRow:
    row: int
    field: str
    message: str


@dataclass
class ParsedSurvey:
    sha256: str
    rows: list[SurveyRow] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)


def survey_bytes(csv_text: str) -> bytes:
    """The file's bytes: the text itself, or a `data:[type];base64,<bytes>` URL, which lets a
    client send a file without decoding it first."""
    if csv_text.startswith(DATA_URL_PREFIX) and ";base64," in csv_text[:100]:
        try:
            return base64.b64decode(csv_text.split(",", 1)[1], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise bad_input("csv", "the data URL is not valid base64") from exc
    try:
        return csv_text.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates: the client decoded bytes wrongly
        raise bad_input("csv", "the file is not valid UTF-8 text") from exc


def decode_survey(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise bad_input(
            "csv", f"the file is not UTF-8 (byte {exc.start}); save it as CSV UTF-8"
        ) from exc
    if "\ufffd" in text:
        raise bad_input("csv", "the file is not UTF-8: it holds replacement characters (\ufffd)")
    return text


def parse_survey(
    csv_text: str, progress: Callable[[int], None] | None = None, every: int = 10_000
) -> ParsedSurvey:
    """Validates every row; raises BAD_USER_INPUT (`csv`) for problems of the whole file."""
    data = survey_bytes(csv_text)
    parsed = ParsedSurvey(sha256=hashlib.sha256(data).hexdigest())
    reader = csv.reader(io.StringIO(decode_survey(data), newline=""))
    try:
        header = [normalize_column(c) for c in next(reader)]
    except StopIteration:
        raise bad_input("csv", "the file is empty; expected a header row") from None
    except csv.Error as exc:
        raise bad_input("csv", f"not a CSV file: {exc}") from exc
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise bad_input("csv", f"missing required column(s): {', '.join(missing)}")
    checker = RowChecker(header)
    try:
        for index, values in enumerate(reader):
            if index >= MAX_ROWS:
                raise bad_input("csv", f"too many rows: at most {MAX_ROWS:,} per file")
            if progress is not None and index and index % every == 0:
                progress(index)
            if not "".join(values).strip():
                continue  # blank lines are not rows
            checked = checker.check(index + 2, values)
            if isinstance(checked, RejectedRow):
                parsed.rejected.append(checked)
            else:
                parsed.rows.append(checked)
    except csv.Error as exc:
        raise bad_input("csv", f"not a CSV file (line {reader.line_num}): {exc}") from exc
    return parsed


def normalize_column(name: str) -> str:
    return "_".join(name.strip().lower().replace("-", " ").split())


class RowChecker:
    """Checks the data rows of one file: the columns are found once, and each distinct area
    and concern is normalized once (a survey repeats a few hundred of them many thousand
    times)."""

    def __init__(self, header: list[str]) -> None:
        self.columns = len(header)
        self.area, self.concern, self.comment = (header.index(c) for c in REQUIRED_COLUMNS)
        self.populations = [
            (header.index(column), template)
            for column, template in POPULATION_COLUMNS.items()
            if column in header
        ]
        self.area_keys: dict[str, str] = {}
        self.focus: dict[str, str] = {}

    def check(self, row: int, values: list[str]) -> SurveyRow | RejectedRow:
        """One data row (`row` as the spreadsheet numbers it) or why it is rejected."""
        if len(values) != self.columns:
            return RejectedRow(row, "csv", f"{len(values)} values but {self.columns} columns")
        area, concern = values[self.area].strip(), values[self.concern].strip()
        if not area or not concern or len(area) > MAX_AREA or len(concern) > MAX_CONCERN:
            return too_short_or_long(row, area, concern)
        comment = values[self.comment].strip()
        if len(comment) > MAX_COMMENT:
            return RejectedRow(row, "comment", f"comment is longer than {MAX_COMMENT} characters")
        if (key := self.area_keys.get(area)) is None:
            key = self.area_keys[area] = area_key(area)
        if (focus := self.focus.get(concern)) is None:
            focus = self.focus[concern] = need_focus(concern)
        if not key or not focus:
            bad = "area" if not key else "concern"
            return RejectedRow(row, bad, f"{bad} has no letters or digits")
        populations = tuple(
            [
                template.format(cell)
                for column, template in self.populations
                if (cell := values[column].strip())
            ]
        )
        return SurveyRow(row, area, key, focus, comment, populations)


def too_short_or_long(row: int, area: str, concern: str) -> RejectedRow:
    for name, value, limit in (("area", area, MAX_AREA), ("concern", concern, MAX_CONCERN)):
        if not value:
            return RejectedRow(row, name, f"{name} is empty")
        if len(value) > limit:
            return RejectedRow(row, name, f"{name} is longer than {limit} characters")
    raise AssertionError("area and concern were both fine")


def severity_for(responses: int) -> int:
    """How pressing a concern is, by how many neighbors raised it: 1, 2-4, 5-19, 20-49, 50+."""
    return 1 + sum(responses >= step for step in (2, 5, 20, 50))


def need_reports(rows: list[SurveyRow]) -> list[NeedReport]:
    """Rows grouped by (area, focus area), in the order each group first appears."""
    groups: dict[tuple[str, str], list[SurveyRow]] = {}
    for row in rows:
        groups.setdefault((row.area_key, row.focus_area), []).append(row)
    reports = []
    for group in groups.values():
        first = group[0]
        populations: dict[str, None] = {}
        for row in group:
            populations.update(dict.fromkeys(row.populations))
        comments = [r.comment for r in group if r.comment][:3]
        reports.append(
            NeedReport(
                title=f"{label_of(first.focus_area)} in {first.area}",
                description=" / ".join(comments)[:1000],
                focus_area=first.focus_area,
                area=first.area,
                severity=severity_for(len(group)),
                affected_populations=list(populations)[:20],
                evidence=[Evidence(source=SURVEY_SOURCE, responses=len(group))],
            )
        )
    return reports
