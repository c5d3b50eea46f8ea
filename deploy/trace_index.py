"""A SQLite index beside the span files, so `commonweave traces` reads only what it shows.

The JSONL files (`<dir>/<service>.jsonl`, appended by the file exporter) stay the record; the
index (`<dir>/.index.sqlite`) holds, per span, where its line is and the few fields the trace
list needs (ids, name, service, kind, times, status). Each call first indexes what was appended
since the last one (only complete lines: the exporter may be mid-write), so the cost of a call
is the new bytes plus the rows it reads, not the whole store. A file that shrank or was
replaced (rotation, `rm`) is indexed again from its start. If the directory cannot hold the
index (read-only), it is built in memory for the one call.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from deploy.traces import Span

INDEX_NAME = ".index.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    name TEXT PRIMARY KEY, inode INTEGER NOT NULL, indexed INTEGER NOT NULL,
    skipped INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS spans (
    trace_id TEXT NOT NULL, span_id TEXT NOT NULL, parent_id TEXT, name TEXT NOT NULL,
    service TEXT NOT NULL, kind TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    status TEXT NOT NULL, file TEXT NOT NULL, offset INTEGER NOT NULL, length INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS spans_by_trace ON spans (trace_id);
"""
OUTLINE = 'trace_id, span_id, parent_id, name, service, kind, start, "end", status'
BATCH = 5000


class SpanIndex:
    def __init__(self, directory: Path, connection: sqlite3.Connection) -> None:
        self.directory = directory
        self.db = connection
        self.partial = 0  # files whose last line has no newline (being written, or cut off)

    @classmethod
    @contextmanager
    def open(cls, directory: Path) -> Iterator[SpanIndex]:
        """The directory's index, brought up to date with its span files."""
        try:
            connection = sqlite3.connect(directory / INDEX_NAME, timeout=10.0)
            connection.executescript(SCHEMA)
        except sqlite3.Error:  # a read-only or missing directory: this call only
            connection = sqlite3.connect(":memory:")
            connection.executescript(SCHEMA)
        with closing(connection):
            index = cls(directory, connection)
            index.refresh()
            yield index

    def refresh(self) -> None:
        files = sorted(self.directory.glob("*.jsonl")) if self.directory.is_dir() else []
        with self.db:  # one transaction: a concurrent call waits, then sees it all
            self.db.execute("BEGIN IMMEDIATE")
            known = {row[0]: row[1:] for row in self.db.execute("SELECT * FROM files")}
            for gone in set(known) - {path.name for path in files}:
                self._forget(gone)
            for path in files:
                inode, indexed, skipped = known.get(path.name, (None, 0, 0))
                stat = path.stat()
                if inode != stat.st_ino or stat.st_size < indexed:
                    self._forget(path.name)
                    indexed, skipped = 0, 0
                if stat.st_size > indexed:
                    indexed, skipped = self._index(path, indexed, skipped)
                self.partial += indexed < stat.st_size
                self.db.execute(
                    "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)",
                    (path.name, stat.st_ino, indexed, skipped),
                )

    def _forget(self, name: str) -> None:
        self.db.execute("DELETE FROM spans WHERE file = ?", (name,))
        self.db.execute("DELETE FROM files WHERE name = ?", (name,))

    def _index(self, path: Path, offset: int, skipped: int) -> tuple[int, int]:
        """Indexes the complete lines after `offset`; answers the new offset and skip count."""
        with path.open("rb") as source:
            source.seek(offset)
            data = source.read()
        end = data.rfind(b"\n") + 1  # a line without its newline is still being written
        rows: list[tuple[Any, ...]] = []
        position = offset
        for line in data[:end].splitlines(keepends=True):
            if line.strip():
                if (row := _outline(line)) is None:
                    skipped += 1
                else:
                    rows.append((*row, path.name, position, len(line)))
            position += len(line)
            if len(rows) >= BATCH:
                self._insert(rows)
                rows = []
        self._insert(rows)
        return offset + end, skipped

    def _insert(self, rows: list[tuple[Any, ...]]) -> None:
        self.db.executemany("INSERT INTO spans VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

    @property
    def skipped(self) -> int:
        """Non-blank lines that are not a span (over every file), a partial last line too."""
        [(count,)] = self.db.execute("SELECT COALESCE(SUM(skipped), 0) FROM files")
        return int(count) + self.partial

    @property
    def empty(self) -> bool:
        return self.db.execute("SELECT 1 FROM spans LIMIT 1").fetchone() is None

    def outlines(self) -> list[Span]:
        """Every span without its attributes: what the trace list and its filters use."""
        fields = OUTLINE.replace('"', "").split(", ")
        return [
            Span.model_construct(**dict(zip(fields, row, strict=True)))
            for row in self.db.execute(f"SELECT {OUTLINE} FROM spans")
        ]

    def trace_ids(self, prefix: str) -> list[str]:
        """The ids of the traces that start with `prefix` (a range scan of the index)."""
        low = prefix.strip().lower()
        rows = self.db.execute(
            "SELECT DISTINCT trace_id FROM spans WHERE trace_id >= ? AND trace_id < ?",
            (low, low + "\uffff"),
        )
        return sorted(row[0] for row in rows)

    def spans_of(self, trace_id: str) -> list[Span]:
        """The spans of one trace, read in full from their lines in the span files."""
        spans: list[Span] = []
        rows = self.db.execute(
            "SELECT file, offset, length FROM spans WHERE trace_id = ? ORDER BY file, offset",
            (trace_id,),
        ).fetchall()
        handles: dict[str, Any] = {}
        try:
            for name, offset, length in rows:
                if name not in handles:
                    handles[name] = (self.directory / name).open("rb")
                handles[name].seek(offset)
                spans.append(Span.model_validate_json(handles[name].read(length)))
        finally:
            for handle in handles.values():
                handle.close()
        return spans


def _outline(line: bytes) -> tuple[Any, ...] | None:
    """The indexed fields of one span line, or None if it is not a span (as `scan_spans`)."""
    try:
        span = Span.model_validate_json(line)
    except ValidationError:
        return None
    return (
        span.trace_id,
        span.span_id,
        span.parent_id,
        span.name,
        span.service,
        span.kind,
        span.start,
        span.end,
        span.status,
    )
