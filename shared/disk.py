"""Disk watermarks, as Elasticsearch's low and high (flood-stage) watermarks: the free space of
the data directory (the store's volume) is read from the filesystem (`shutil.disk_usage`), and

- below the low watermark it is logged, and readiness says `low`;
- below the high watermark every write is refused with UNAVAILABLE, `retryable: true` and a
  message saying storage is full, before the store runs out of space (a WiredTiger store that
  does panics, and stays jammed after space comes back); reads go on;
- above the high watermark again, writes resume by themselves: every request reads the free
  space afresh (at most once a second).

A watermark is free bytes (`512MB`, `2GiB`, `1000000`) or a share of the volume (`5%`)."""

from __future__ import annotations

import logging
import re
import shutil
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ByteSize, TypeAdapter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from shared.errors import AppError, ErrorCode

if TYPE_CHECKING:
    from shared.settings import Settings

log = logging.getLogger(__name__)

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
# POST routes that only read: a token's resolution (every authenticated call makes one)
READ_ONLY_POSTS = {"/auth/resolve"}


def may_write(method: str, path: str) -> bool:
    """Whether a request to a service may change what it stores."""
    return method in WRITES and path not in READ_ONLY_POSTS


_BYTES = TypeAdapter(ByteSize)


@dataclass(frozen=True)
class Watermark:
    """Free space to keep: bytes, or a fraction of the volume's size."""

    free_bytes: int | None = None
    free_fraction: float | None = None

    @classmethod
    def parse(cls, text: str) -> Watermark:
        text = text.strip()
        if match := re.fullmatch(r"(\d+(?:\.\d+)?)\s*%", text):
            fraction = float(match.group(1)) / 100
            if not 0 <= fraction < 1:
                raise ValueError(f"a percentage of free space must be below 100%, not {text}")
            return cls(free_fraction=fraction)
        try:
            if not re.fullmatch(r"\d+(?:\.\d+)?\s*[A-Za-z]*", text):
                raise ValueError(text)
            return cls(free_bytes=int(_BYTES.validate_python(text)))
        except ValueError:
            raise ValueError(
                f"{text!r} is neither free bytes (512MB, 2GiB, 1000000) nor a percentage (5%)"
            ) from None

    def bytes_of(self, total: int) -> int:
        if self.free_fraction is not None:
            return int(total * self.free_fraction)
        return self.free_bytes or 0


def mb(size: int) -> str:
    return f"{size / 1_000_000:,.0f} MB"


@dataclass(frozen=True)
class DiskState:
    path: Path
    free: int
    total: int
    low: int  # free bytes of the low watermark
    high: int

    @property
    def full(self) -> bool:
        return self.free < self.high

    @property
    def level(self) -> str:
        return "full" if self.full else "low" if self.free < self.low else "ok"

    @property
    def summary(self) -> str:
        if self.level == "ok":
            return "ok"
        return f"{self.level}: {mb(self.free)} free at {self.path}"

    def refusal(self) -> AppError:
        return AppError(
            ErrorCode.UNAVAILABLE,
            f"storage is full: {mb(self.free)} free of {mb(self.total)}, below the "
            f"{mb(self.high)} kept free; writes are refused until space is freed, and resume "
            "by themselves (reads go on): retry later",
            details={"retryable": True},
        )


class DiskWatch:
    """The free space of one directory against the watermarks, read at most every `every`
    seconds; logs each change of level once."""

    def __init__(self, path: Path, low: Watermark, high: Watermark, every: float = 1.0) -> None:
        self.path = path
        self.low = low
        self.high = high
        self._every = every
        self._read_at = -every
        self._state: DiskState | None = None

    @classmethod
    def of(cls, settings: Settings) -> DiskWatch:
        return cls(
            settings.disk_watch_path,
            Watermark.parse(settings.disk_low_watermark),
            Watermark.parse(settings.disk_high_watermark),
        )

    def state(self) -> DiskState:
        now = time.monotonic()
        if self._state is None or now - self._read_at >= self._every:
            self._read_at = now
            self._set(self._read())
        assert self._state is not None
        return self._state

    def _read(self) -> DiskState:
        self.path.mkdir(parents=True, exist_ok=True)
        usage = shutil.disk_usage(self.path)
        return DiskState(
            self.path,
            usage.free,
            usage.total,
            self.low.bytes_of(usage.total),
            self.high.bytes_of(usage.total),
        )

    def _set(self, state: DiskState) -> None:
        was, self._state = self._state, state
        if was is not None and was.level == state.level:
            return
        if state.level == "full":
            log.error("storage is full (%s free at %s): writes refused", mb(state.free), self.path)
        elif state.level == "low":
            log.warning("storage is low: %s free at %s", mb(state.free), self.path)
        elif was is not None:
            log.warning("storage has room again (%s free): writes resume", mb(state.free))

    def writable(self) -> None:
        """Raises UNAVAILABLE (retryable) while the free space is below the high watermark."""
        state = self.state()
        if state.full:
            raise state.refusal()


def refuse_writes_when_full(
    disk: DiskWatch, answered: Callable[[Request], Awaitable[bool]] | None = None
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    """An HTTP middleware (`app.middleware("http")(...)`): writes refused while the disk is
    full, everything else passed on. A retry of a write that already happened (`answered`:
    its Idempotency-Key has a first answer) is passed on too: it writes nothing, and its
    client learns that it was written instead of giving up on a refusal."""

    async def middleware(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if may_write(request.method, request.url.path):
            state = disk.state()
            if state.full and not (answered is not None and await answered(request)):
                error = state.refusal()
                return JSONResponse(error.to_body(), status_code=error.http_status)
        return await call_next(request)

    return middleware
