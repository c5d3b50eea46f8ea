"""Disk watermarks (`shared.disk`): watermarks given as free bytes or a percentage, read from
the real filesystem (`shutil.disk_usage`), and the middleware that refuses writes (not reads)
while the free space is below the high watermark, and lets them through again by itself."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from starlette.requests import Request

from shared.disk import DiskWatch, Watermark, refuse_writes_when_full
from shared.settings import Settings


def test_a_watermark_is_free_bytes_or_a_percentage_of_the_volume() -> None:
    assert Watermark.parse("500MB").bytes_of(10**12) == 500_000_000
    assert Watermark.parse("2GiB").bytes_of(10**12) == 2 * 1024**3
    assert Watermark.parse("1000000").bytes_of(10**12) == 1_000_000
    assert Watermark.parse("5%").bytes_of(10**12) == 50_000_000_000
    assert Watermark.parse(" 12.5 % ").bytes_of(1000) == 125


@pytest.mark.parametrize("text", ["lots", "100%", "-3MB", "5%%"])
def test_a_bad_watermark_setting_names_the_field(text: str) -> None:
    with pytest.raises(ValidationError, match="disk_high_watermark"):
        Settings(_env_file=None, disk_high_watermark=text)


def watch_above_free_space(path: Path, margin: int) -> DiskWatch:
    """A watch whose high watermark lies `margin` bytes above (or, negative, below) the free
    space the filesystem has now."""
    free = shutil.disk_usage(path).free
    return DiskWatch(path, Watermark(free_bytes=0), Watermark(free_bytes=free + margin), every=0)


def test_the_state_comes_from_the_real_filesystem(tmp_path: Path) -> None:
    full = watch_above_free_space(tmp_path, 10**9).state()
    assert full.full and full.level == "full"
    assert full.summary.startswith("full: ") and str(tmp_path) in full.summary
    roomy = watch_above_free_space(tmp_path, -(10**8)).state()
    assert not roomy.full and roomy.summary == "ok"
    low = DiskWatch(tmp_path, Watermark(free_fraction=0.99), Watermark(free_bytes=0)).state()
    assert low.level == "low" and not low.full


def app_with(watch: DiskWatch) -> FastAPI:
    app = FastAPI()
    app.middleware("http")(refuse_writes_when_full(watch))

    @app.get("/things")
    async def read() -> dict[str, str]:
        return {"read": "ok"}

    @app.post("/things")
    async def write() -> dict[str, str]:
        return {"written": "ok"}

    @app.post("/auth/resolve")
    async def resolve() -> dict[str, str]:
        return {"resolved": "ok"}

    return app


async def call(app: FastAPI, method: str, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as http:
        return await http.request(method, path)


async def test_below_the_high_watermark_writes_are_refused_and_reads_go_on(
    tmp_path: Path,
) -> None:
    app = app_with(watch_above_free_space(tmp_path, 10**9))
    refused = await call(app, "POST", "/things")
    assert refused.status_code == 503
    error = refused.json()["error"]
    assert error["code"] == "UNAVAILABLE"
    assert error["details"] == {"retryable": True}
    assert error["message"].startswith("storage is full")
    assert (await call(app, "GET", "/things")).json() == {"read": "ok"}
    assert (await call(app, "POST", "/auth/resolve")).json() == {"resolved": "ok"}


async def test_writes_resume_by_themselves_once_space_is_back(tmp_path: Path) -> None:
    watch = watch_above_free_space(tmp_path, 10**9)
    app = app_with(watch)
    assert (await call(app, "POST", "/things")).status_code == 503
    watch.high = Watermark(free_bytes=0)  # as if space were freed: nothing is reset by hand
    assert (await call(app, "POST", "/things")).json() == {"written": "ok"}


async def test_a_retry_of_a_write_that_happened_gets_its_answer_while_storage_is_full(
    tmp_path: Path,
) -> None:
    answered_keys = {"key-written"}

    async def answered(request: Request) -> bool:
        return request.headers.get("Idempotency-Key") in answered_keys

    app = FastAPI()
    app.middleware("http")(
        refuse_writes_when_full(watch_above_free_space(tmp_path, 10**9), answered)
    )

    @app.post("/things")
    async def write() -> dict[str, str]:
        return {"answered": "from the first write"}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as http:
        retry = await http.post("/things", headers={"Idempotency-Key": "key-written"})
        new = await http.post("/things", headers={"Idempotency-Key": "key-new"})
    assert retry.json() == {"answered": "from the first write"}
    assert new.status_code == 503 and new.json()["error"]["message"].startswith("storage is full")


def test_settings_watch_the_data_directory_unless_told_another_path(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)
    assert DiskWatch.of(settings).path == tmp_path
    elsewhere = Settings(_env_file=None, data_dir=tmp_path, disk_path="/var")
    assert DiskWatch.of(elsewhere).path == Path("/var")


def test_the_runner_says_when_storage_crosses_a_watermark(tmp_path: Path) -> None:
    from deploy.stack import Stack

    free = shutil.disk_usage(tmp_path).free
    settings = Settings(_env_file=None, data_dir=tmp_path, disk_high_watermark=str(free + 10**9))
    lines: list[str] = []
    stack = Stack(settings, report=lines.append)
    stack._check_disk()
    stack._check_disk()  # said once, not at every round
    assert len(lines) == 1
    assert lines[0].startswith("storage full: ") and "refuse writes" in lines[0]
    assert stack.disk is not None
    stack.disk.high = Watermark(free_bytes=0)
    stack.disk._every = 0
    stack._check_disk()
    assert lines[1].startswith("storage has room again (")
