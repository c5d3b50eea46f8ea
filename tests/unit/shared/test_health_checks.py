"""Health checks that are real round trips (`shared.health`, `deploy.probes`), store failures
that wrote nothing answered UNAVAILABLE and retryable (`shared.mongo.write_not_applied`,
`shared.http`), failure logs rate-limited with a count (`shared.logs.Repeats`) and log files
that rotate by size (`deploy.logfiles`)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pymongo import AsyncMongoClient
from pymongo.errors import (
    AutoReconnect,
    BulkWriteError,
    DuplicateKeyError,
    NetworkTimeout,
    OperationFailure,
    PyMongoError,
    ServerSelectionTimeoutError,
)

from deploy.logfiles import LogFile
from deploy.probes import (
    broker_answers,
    loop_lag,
    proves_something,
    run_probes,
    service_answers,
    store_answers,
)
from services.gateway.clients import ServiceClients
from services.gateway.readiness import gateway_readiness
from shared.health import SCRATCH, check, store_round_trip
from shared.http import install_error_handlers
from shared.logs import Repeats, log_repeated
from shared.mongo import Database, Document, write_not_applied
from shared.settings import Settings
from tests.support.documents import document_store
from tests.support.gateway import served
from tests.support.stack import free_port
from tests.support.wait import eventually


async def test_the_store_check_writes_and_reads_back_in_a_scratch_collection(
    database: Database,
) -> None:
    await store_round_trip(database, 2.0)
    await store_round_trip(database, 2.0)
    assert await database[SCRATCH].count_documents({}) == 1  # rewritten, not grown


async def test_probes_that_overlap_each_read_back_their_own_write(database: Database) -> None:
    # The gateway's /health and the runner's poll can reach one process's /health/ready at
    # once; the later write must not make the earlier probe report a store that lies.
    results = await asyncio.gather(
        *(check(store_round_trip(database, 2.0), 2.0) for _ in range(20))
    )
    assert set(results) == {"ok"}, results


async def test_an_asker_that_gives_up_leaves_the_shared_check_to_the_others(
    database: Database,
) -> None:
    impatient = asyncio.wait_for(store_round_trip(database, 2.0), 0.000_1)
    patient = check(store_round_trip(database, 2.0), 2.0)
    gave_up, answered = await asyncio.gather(impatient, patient, return_exceptions=True)
    assert isinstance(gave_up, TimeoutError)
    assert answered == "ok"


@pytest.fixture
def paused_store() -> Iterator[tuple[str, int]]:
    """A document store of its own, stopped with SIGSTOP: it accepts connections (the kernel
    does) and answers nothing. Killed afterwards, not woken: woken, it did not stop within the
    10 s `document_store` gives a clean stop (a 10 s teardown); it stores in memory."""
    pids: list[int] = []
    with document_store(pids=pids) as url:
        host, port = url.removeprefix("mongodb://").split(":")
        os.kill(pids[0], signal.SIGSTOP)
        try:
            yield host, int(port)
        finally:
            os.kill(pids[0], signal.SIGKILL)


def test_a_paused_store_fails_the_checks_within_their_timeout(
    paused_store: tuple[str, int],
) -> None:
    host, port = paused_store

    async def service_check() -> str:
        client: AsyncMongoClient[Document] = AsyncMongoClient(
            host, port, serverSelectionTimeoutMS=500
        )
        try:
            return await check(store_round_trip(client["probe"], 1.0), 1.0)
        finally:
            await client.close()

    began = time.monotonic()
    assert asyncio.run(service_check()).startswith("down")
    assert time.monotonic() - began < 2.0
    began = time.monotonic()
    probes = {
        "mongo": lambda: store_answers(host, port, "probe", 1.0),
        "other": lambda: asyncio.sleep(0),  # something that answers: the round counts
    }
    found = run_probes(probes, 1.0)
    assert found is not None and found["mongo"].startswith("down"), found
    assert time.monotonic() - began < 2.5


def test_the_broker_probe_is_a_metadata_round_trip(
    broker: tuple[subprocess.Popen[bytes], int],
) -> None:
    process, port = broker
    probe = {"broker": lambda: broker_answers("127.0.0.1", port, 1.0)}
    assert eventually(lambda: (run_probes(probe, 1.0) or {}).get("broker") == "ok", timeout=15)
    process.send_signal(signal.SIGSTOP)
    try:
        began = time.monotonic()
        found = run_probes({**probe, "other": lambda: asyncio.sleep(0)}, 1.0)
        assert found is not None and found["broker"].startswith("down"), found
        assert time.monotonic() - began < 2.5
    finally:
        process.send_signal(signal.SIGCONT)


def test_the_runner_probes_fail_for_what_does_not_answer() -> None:
    port = free_port()  # nothing listens there
    found = run_probes(
        {
            "broker": lambda: broker_answers("127.0.0.1", port, 1.0),
            "intake": lambda: service_answers(f"http://127.0.0.1:{port}/health/live", 1.0),
            "gateway": lambda: asyncio.sleep(0),
        },
        1.0,
    )
    assert found is not None
    assert found["broker"].startswith("down") and found["intake"].startswith("down"), found
    assert found["gateway"] == "ok"


def test_a_round_where_everything_fails_or_the_runner_starves_is_not_counted() -> None:
    port = free_port()
    nothing = {
        "broker": lambda: broker_answers("127.0.0.1", port, 1.0),
        "intake": lambda: service_answers(f"http://127.0.0.1:{port}/health/live", 1.0),
    }
    assert run_probes(nothing, 1.0) is None
    assert not proves_something(["down: a", "down: b"], 0.0)
    assert proves_something(["down: a", "ok"], 0.0)
    assert proves_something(["down: alone"], 0.0)
    assert not proves_something(["down: a", "ok"], 1.5)  # the runner waited for CPU


async def test_the_loop_lag_is_how_late_a_short_sleep_ran() -> None:
    assert await loop_lag() < 0.5

    async def hold() -> None:
        await asyncio.sleep(0)
        time.sleep(0.6)  # noqa: ASYNC251 (holds the loop, as a process waiting for CPU)

    holder = asyncio.create_task(hold())
    assert await loop_lag() > 0.5
    await holder


@pytest.mark.parametrize(
    ("error", "not_written"),
    [
        (ServerSelectionTimeoutError("no server"), True),
        (OperationFailure("WT_PANIC: WiredTiger library panic", code=8), True),
        (DuplicateKeyError("dup"), True),
        (PyMongoError("aborted"), False),
        (NetworkTimeout("timed out reading the answer"), False),
        (AutoReconnect("connection closed"), False),
        (BulkWriteError({"nInserted": 2, "writeErrors": []}), False),
        (BulkWriteError({"nInserted": 0, "nModified": 0, "writeErrors": []}), True),
    ],
)
def test_a_store_error_is_known_not_written_only_when_it_is(
    error: PyMongoError, not_written: bool
) -> None:
    assert write_not_applied(error) is not_written


def test_transaction_labels_decide() -> None:
    aborted = AutoReconnect("connection closed")
    aborted._add_error_label("TransientTransactionError")
    assert write_not_applied(aborted)
    unknown = OperationFailure("commit", code=50)
    unknown._add_error_label("UnknownTransactionCommitResult")
    assert not write_not_applied(unknown)


def failing_app(error: Exception) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/read")
    async def read() -> None:
        raise error

    @app.post("/write")
    async def write() -> None:
        raise error

    @app.post("/auth/resolve")  # a POST that only reads
    async def resolve() -> None:
        raise error

    return app


async def answer(app: FastAPI, method: str, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as http:
        return await http.request(method, path)


@pytest.mark.parametrize(
    ("error", "method", "path", "code"),
    [
        (AutoReconnect("connection closed"), "GET", "/read", "UNAVAILABLE"),
        (ServerSelectionTimeoutError("no server"), "POST", "/write", "UNAVAILABLE"),
        (OperationFailure("No space left on device", code=1), "POST", "/write", "UNAVAILABLE"),
        (NetworkTimeout("timed out"), "POST", "/write", "INTERNAL"),
        (AutoReconnect("connection reset"), "POST", "/auth/resolve", "UNAVAILABLE"),
    ],
)
async def test_store_errors_become_unavailable_and_retryable_when_nothing_was_written(
    error: Exception, method: str, path: str, code: str
) -> None:
    response = await answer(failing_app(error), method, path)
    body = response.json()["error"]
    assert body["code"] == code
    if code == "UNAVAILABLE":
        assert response.status_code == 503
        assert body["details"] == {"retryable": True}
        assert "nothing was written" in body["message"]
    else:
        assert response.status_code == 500
        assert "details" not in body


def record(created: float) -> logging.LogRecord:
    return logging.makeLogRecord(
        {"msg": "relay: reading the outbox failed", "created": created, "repeating": True}
    )


def test_a_repeating_failure_is_logged_with_backoff_and_a_count() -> None:
    repeats = Repeats(first=1.0, longest=8.0)
    logged = []
    for tick in range(0, 120):  # four a second for 30 s
        entry = record(1000.0 + tick * 0.25)
        if repeats.filter(entry):
            logged.append((tick * 0.25, entry.getMessage()))
    times = [at for at, _ in logged]
    assert times[:5] == [0.0, 1.0, 3.0, 7.0, 15.0]  # 1, 2, 4, 8 s apart, then every 8 s
    assert times[5:] == [23.0]
    assert logged[0][1] == "relay: reading the outbox failed"
    assert logged[1][1] == "relay: reading the outbox failed (failed 4 times in the last 1 s)"
    assert logged[4][1].endswith("(failed 32 times in the last 8 s)")
    assert len(logged) == 6  # not 120


def test_after_a_quiet_spell_a_failure_is_logged_at_once() -> None:
    repeats = Repeats(first=1.0, longest=8.0)
    assert repeats.filter(record(0.0))
    assert not repeats.filter(record(0.5))
    assert repeats.filter(record(60.0))
    assert repeats.filter(record(60.0 + 0.1)) is False


def test_unmarked_records_pass_untouched() -> None:
    plain = logging.makeLogRecord({"msg": "Received", "created": 0.0})
    repeats = Repeats()
    assert all(repeats.filter(plain) for _ in range(10))


def test_log_repeated_keeps_the_traceback_on_what_it_logs() -> None:
    out = io.StringIO()
    logger = logging.getLogger("tests.repeated")
    handler = logging.StreamHandler(out)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        for _ in range(200):
            try:
                raise ConnectionError("store away")
            except ConnectionError:
                log_repeated(logger, "%s: reading failed", "relay")
    finally:
        logger.removeHandler(handler)
    text = out.getvalue()
    assert text.count("relay: reading failed") == 1
    assert "ConnectionError: store away" in text


def test_log_files_rotate_by_size_and_keep_a_bounded_number(tmp_path: Path) -> None:
    path = tmp_path / "intake.log"
    log = LogFile(path, max_bytes=10_000, backups=2)
    read, write = os.pipe()
    thread = log.follow(os.fdopen(read, "rb"))
    with os.fdopen(write, "wb") as output:
        for i in range(1000):
            output.write(f"line {i:04d} {'x' * 80}\n".encode())
    thread.join(10)
    log.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "intake.log",
        "intake.log.1",
        "intake.log.2",
    ]
    assert all(p.stat().st_size <= 10_000 for p in tmp_path.iterdir())
    assert path.read_text().splitlines()[-1].startswith("line 0999")


def test_a_log_file_on_a_full_disk_drops_lines_and_says_so_once(tmp_path: Path) -> None:
    said: list[str] = []
    path = tmp_path / "intake.log"
    log = LogFile(path, max_bytes=10_000, backups=2, report=said.append)
    log.write("before")
    writable = log._handler.stream
    full = open("/dev/full", "w", encoding="utf-8")  # noqa: SIM115  (every write: ENOSPC)
    log._handler.stream = full
    for i in range(50):
        log.write(f"lost {i}")
    log._handler.stream = writable
    with contextlib.suppress(OSError):  # its buffer cannot be flushed either
        full.close()
    log.write("after")
    log.close()
    assert said == [
        "intake.log: cannot write ([Errno 28] No space left on device); dropping its lines "
        "until it can",
        "intake.log: writing again; 50 lines were dropped",
    ]
    assert path.read_text().splitlines() == [
        "before",
        "[runner] 50 lines dropped: the disk was full",
        "after",
    ]


async def test_a_gateway_is_not_ready_while_starting_nor_when_no_service_answers() -> None:
    ports = {f"{s}_port": free_port() for s in ("intake", "matching", "commitments")}
    settings = Settings(_env_file=None, notifications_port=free_port(), **ports)  # type: ignore[arg-type]
    clients = ServiceClients.from_settings(settings)
    try:
        starting = await gateway_readiness(clients)
        assert starting == (503, {"service": "gateway", "status": "starting"})
        clients.ready = True
        status, body = await gateway_readiness(clients)
        assert status == 503 and body["status"] == "unavailable"
        assert all(v.startswith("down") for v in body["dependencies"].values())
    finally:
        await clients.aclose()


async def test_the_gateway_says_which_dependency_keeps_a_service_unready() -> None:
    ports = {f"{s}_port": free_port() for s in ("intake", "matching", "commitments")}
    settings = Settings(_env_file=None, notifications_port=free_port(), **ports)  # type: ignore[arg-type]
    unready = FastAPI()

    @unready.get("/health/ready")
    def ready() -> JSONResponse:
        found = {"mongo": "down: no answer within 2s", "kafka": "ok"}
        body = {"service": "intake", "status": "unavailable", "dependencies": found}
        return JSONResponse(body, status_code=503)

    clients = ServiceClients.from_settings(settings)
    clients.ready = True
    try:
        with served(unready, settings.intake_port):
            status, body = await gateway_readiness(clients)
    finally:
        await clients.aclose()
    assert status == 503
    intake = body["dependencies"]["intake"]
    assert intake.startswith("down: GET /health/ready: HTTP 503 from intake"), intake
    assert "'mongo': 'down: no answer within 2s'" in intake and "kafka" not in intake
