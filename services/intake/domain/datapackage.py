"""Tabular data packages (Frictionless), the container Open Referral's HSDS 1.x is published
in: reading one into tables of rows, and writing one as a zip. No I/O beyond memory.

A package arrives as the text of a GraphQL argument: a `data:[type];base64,<bytes>` URL of a
zip (CSV files, with or without `datapackage.json`) or of a `datapackage.json`, or the JSON
text itself. A `datapackage.json` names each resource's file (`path`, relative to it) or holds
its rows inline (`data`: objects, or arrays under a header array). A zip without one is read
by the standard HSDS file names (`organizations.csv`, ...). Problems of the whole package
reject it as a whole (BAD_USER_INPUT, field `file`); a bad row is rejected on its own, named
by its file and row as a spreadsheet numbers it (the header is row 1; an inline row is its
position in `data`, from 1)."""

from __future__ import annotations

import base64
import binascii
import csv
import hashlib
import io
import json
import posixpath
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from shared.errors import bad_input

DESCRIPTOR = "datapackage.json"
DATA_URL_PREFIX = "data:"
MAX_ROWS = 200_000  # per table
MAX_UNZIPPED_BYTES = 200_000_000
MAX_ENTRIES = 1_000
# The HSDS resources read, and the file names a zip without a descriptor may hold them in.
FILE_NAMES: dict[str, tuple[str, ...]] = {
    "organization": ("organizations.csv", "organization.csv"),
    "service": ("services.csv", "service.csv"),
    "location": ("locations.csv", "location.csv"),
    "taxonomy": ("taxonomy.csv", "taxonomies.csv", "taxonomy_terms.csv"),
    "service_taxonomy": ("services_taxonomy.csv", "service_taxonomy.csv"),
    "service_at_location": ("services_at_location.csv", "service_at_location.csv"),
    "physical_address": ("physical_addresses.csv", "physical_address.csv"),
}
# A fixed time for every zip entry, so the same tables always make the same bytes.
ZIP_TIME = (2000, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class RejectedRow:
    file: str
    row: int
    field: str
    message: str


@dataclass(frozen=True)
class Row:
    file: str
    row: int
    cells: dict[str, str]

    def __getitem__(self, name: str) -> str:
        return self.cells.get(name, "")

    def rejected(self, field: str, message: str) -> RejectedRow:
        return RejectedRow(self.file, self.row, field, message)


@dataclass
class Package:
    sha256: str
    tables: dict[str, list[Row]] = field(default_factory=dict)
    rejected: list[RejectedRow] = field(default_factory=list)

    def rows(self, resource: str) -> list[Row]:
        return self.tables.get(resource, [])


def package_bytes(text: str) -> bytes:
    """The package's bytes: a data URL decoded, or the text itself."""
    if text.startswith(DATA_URL_PREFIX) and ";base64," in text[:100]:
        try:
            return base64.b64decode(text.split(",", 1)[1], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise bad_input("file", "the data URL is not valid base64") from exc
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise bad_input("file", "the file is not valid UTF-8 text") from exc


def read_package(text: str, wanted: Iterable[str] = FILE_NAMES) -> Package:
    """The `wanted` resources of a package (those it has); rows checked for their shape."""
    data = package_bytes(text)
    package = Package(sha256=hashlib.sha256(data).hexdigest())
    if data.startswith(b"PK"):
        files = unzip(data)
    elif data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        files = {DESCRIPTOR: data}
    else:
        raise bad_input(
            "file",
            f"expected a zip of HSDS CSV files or a {DESCRIPTOR}, as a data URL "
            "(data:application/zip;base64,...) or as JSON text",
        )
    descriptor = _descriptor(files)
    for resource in wanted:
        if descriptor is not None:
            table = _described_table(descriptor, resource, files, package.rejected)
        else:
            table = _named_table(resource, files, package.rejected)
        if table is not None:
            package.tables[resource] = table
    return package


def unzip(data: bytes) -> dict[str, bytes]:
    """The zip's files by path; when every file is in one folder, relative to it."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = [i for i in archive.infolist() if not i.is_dir()]
        if len(entries) > MAX_ENTRIES:
            raise bad_input("file", f"the zip holds more than {MAX_ENTRIES:,} files")
        if sum(i.file_size for i in entries) > MAX_UNZIPPED_BYTES:
            raise bad_input("file", f"the zip unpacks to more than {MAX_UNZIPPED_BYTES:,} bytes")
        files = {i.filename: archive.read(i) for i in entries if "__MACOSX" not in i.filename}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError) as exc:
        raise bad_input("file", f"not a readable zip file: {exc}") from exc
    descriptors = sorted((p for p in files if posixpath.basename(p) == DESCRIPTOR), key=len)
    base = posixpath.dirname(descriptors[0]) if descriptors else _common_folder(files)
    if not base:
        return files
    prefix = base + "/"
    return {p[len(prefix) :]: b for p, b in files.items() if p.startswith(prefix)}


def _common_folder(files: dict[str, bytes]) -> str:
    folders = {posixpath.dirname(p) for p in files}
    return folders.pop() if len(folders) == 1 else ""


def _descriptor(files: dict[str, bytes]) -> dict[str, Any] | None:
    if DESCRIPTOR not in files:
        return None
    try:
        descriptor = json.loads(decode(files[DESCRIPTOR], DESCRIPTOR))
    except ValueError as exc:
        raise bad_input("file", f"{DESCRIPTOR} is not JSON: {exc}") from exc
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("resources"), list):
        raise bad_input("file", f"{DESCRIPTOR} has no list of resources")
    return descriptor


def _described_table(
    descriptor: dict[str, Any], resource: str, files: dict[str, bytes], rejected: list[RejectedRow]
) -> list[Row] | None:
    found = [
        r for r in descriptor["resources"] if isinstance(r, dict) and r.get("name") == resource
    ]
    if not found:
        return None
    entry = found[0]
    if "data" in entry:
        return _inline_rows(f"{DESCRIPTOR} ({resource})", entry["data"], rejected)
    path = entry.get("path")
    if isinstance(path, list) and len(path) == 1:
        path = path[0]
    if not isinstance(path, str) or not path:
        raise bad_input("file", f"resource {resource} has neither data nor one path")
    name = posixpath.normpath(path)
    if name not in files:
        raise bad_input(
            "file",
            f"resource {resource} is in {path}, which the package does not hold; send the "
            f"{DESCRIPTOR} with its CSV files as one zip",
        )
    return csv_rows(name, files[name], rejected)


def _named_table(
    resource: str, files: dict[str, bytes], rejected: list[RejectedRow]
) -> list[Row] | None:
    by_name = {posixpath.basename(p).lower(): p for p in files}
    for name in FILE_NAMES.get(resource, ()):
        if name in by_name:
            path = by_name[name]
            return csv_rows(path, files[path], rejected)
    return None


def decode(data: bytes, file: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise bad_input("file", f"{file} is not UTF-8 (byte {exc.start})") from exc


def column(name: str) -> str:
    return name.strip().lower()


def csv_rows(file: str, data: bytes, rejected: list[RejectedRow]) -> list[Row]:
    reader = csv.reader(io.StringIO(decode(data, file), newline=""))
    rows: list[Row] = []
    try:
        header = [column(c) for c in next(reader, [])]
        for index, values in enumerate(reader):
            if index >= MAX_ROWS:
                raise bad_input("file", f"{file}: too many rows, at most {MAX_ROWS:,}")
            if not any(v.strip() for v in values):
                continue  # blank lines are not rows
            if len(values) != len(header):
                message = f"{len(values)} values but {len(header)} columns"
                rejected.append(RejectedRow(file, index + 2, "csv", message))
                continue
            cells = {name: value.strip() for name, value in zip(header, values, strict=True)}
            rows.append(Row(file, index + 2, cells))
    except csv.Error as exc:
        raise bad_input("file", f"{file} is not CSV (line {reader.line_num}): {exc}") from exc
    return rows


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def _inline_rows(file: str, data: Any, rejected: list[RejectedRow]) -> list[Row]:
    """Inline `data`: a list of objects (row n is the n-th), or a header array followed by
    arrays of values (numbered like CSV: the header is row 1)."""
    if not isinstance(data, list):
        raise bad_input("file", f"{file}: data is not a list")
    if len(data) > MAX_ROWS:
        raise bad_input("file", f"{file}: too many rows, at most {MAX_ROWS:,}")
    rows: list[Row] = []
    if data and isinstance(data[0], list):
        header = [column(_cell(c)) for c in data[0]]
        for index, values in enumerate(data[1:]):
            if not isinstance(values, list) or len(values) != len(header):
                rejected.append(RejectedRow(file, index + 2, "data", "not a row of the header"))
                continue
            cells = {n: _cell(v) for n, v in zip(header, values, strict=True)}
            rows.append(Row(file, index + 2, cells))
        return rows
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            rejected.append(RejectedRow(file, index + 1, "data", "not an object"))
            continue
        rows.append(Row(file, index + 1, {column(str(k)): _cell(v) for k, v in item.items()}))
    return rows


def csv_text(header: list[str], rows: Iterable[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def zip_files(files: dict[str, str]) -> bytes:
    """The files in a zip, in the order given, byte for byte the same for the same files."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, text in files.items():
            info = zipfile.ZipInfo(path, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, text.encode("utf-8"))
    return out.getvalue()


def data_url(data: bytes, media_type: str = "application/zip") -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"
