"""One settings class for every process, read from `COMMONWEAVE_*` environment variables.

The same services run embedded (local broker and document store) or against real Kafka and
MongoDB: only the URLs change.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.disk import Watermark

ServiceName = Literal["gateway", "intake", "matching", "commitments", "notifications"]
SERVICES: tuple[ServiceName, ...] = (
    "intake",
    "matching",
    "commitments",
    "notifications",
    "gateway",
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COMMONWEAVE_", env_file=".env", extra="ignore")

    kafka_bootstrap: str = "127.0.0.1:9092"
    mongo_url: str = "mongodb://127.0.0.1:27017"
    # PyMongo's retryable writes (a write outside a transaction sent again once after a network
    # error). The runner turns them off for its embedded store, where they cost more with
    # every write (deploy/stack.py).
    mongo_retry_writes: bool = True
    # Connection security (shared/kafka_security.py, shared/mongo.py). Plaintext by default, as
    # the embedded stack runs; production (deploy/k8s/overlays/production) sets SASL_SSL with
    # SCRAM-SHA-512 to Kafka and TLS with credentials to MongoDB. A CA file verifies the
    # servers' certificates (empty: the system's CAs), e.g. Strimzi's cluster CA.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256"] = "SCRAM-SHA-512"
    kafka_username: str = ""
    kafka_password: SecretStr = SecretStr("")
    kafka_ca_file: str = ""
    mongo_tls: bool = False
    mongo_ca_file: str = ""
    # Given here, they win over any in `mongo_url` (a password needs no percent-encoding)
    mongo_username: str = ""
    mongo_password: SecretStr = SecretStr("")
    db_prefix: str = "commonweave"

    host: str = "127.0.0.1"
    gateway_port: int = 8000
    intake_port: int = 8001
    matching_port: int = 8002
    commitments_port: int = 8003
    notifications_port: int = 8004
    # Explicit URLs win over host/port (compose sets http://intake:8001 and so on).
    intake_url: str = ""
    matching_url: str = ""
    commitments_url: str = ""
    notifications_url: str = ""

    service_token: SecretStr = SecretStr("dev-internal-token-change-me")
    http_timeout_seconds: float = 5.0

    telemetry_exporter: Literal["file", "otlp", "off"] = "file"
    otlp_endpoint: str = "http://127.0.0.1:4318"
    environment: str = "development"  # the deployment.environment.name resource attribute
    data_dir: Path = Path(".data")

    kafka_metadata_max_age_ms: int = 10_000
    # A consumer that stops heartbeating leaves its group after this long, and its partitions
    # move to the others. The embedded broker also holds a new group's first join for half of
    # it, so the tests, which start many stacks, set it lower.
    kafka_session_timeout_ms: int = Field(10_000, ge=3_000)
    kafka_fetch_max_wait_ms: int = Field(500, ge=0)
    # What one fetch takes from one partition: small, so a consumer goes round its partitions
    # a few events at a time and a backlog on one topic does not hold up another.
    kafka_max_partition_fetch_bytes: int = Field(16 * 1024, ge=1024)
    topic_partitions: int = 3
    topic_replication: int = 1

    outbox_poll_seconds: float = 0.5
    # Sent events stay in the outbox this long, so the relay can send them again to a broker
    # that lost its log (the embedded one, restarted); consumers keep processed ids twice as
    # long. A Kafka cluster that keeps its log never needs the replay.
    outbox_replay_window_seconds: float = Field(24 * 3600, gt=0)
    # How fast a relay sends again what a lost broker's consumers had not read (beside new
    # events), so that the consumers keep time for the events of people waiting now.
    outbox_replay_per_second: float = Field(25.0, gt=0)
    consumer_max_attempts: int = 5
    # A consumer lane handles what the broker has in batches, one transaction each: at most
    # this many events, and an idle lane waits this long for one (shared/consumer_batch.py).
    consumer_batch_max_records: int = Field(50, ge=1)
    consumer_batch_timeout_ms: int = Field(100, ge=1)
    # how long an event about something not yet known waits for it before the DLQ
    consumer_park_limit_seconds: float = Field(24 * 3600, gt=0)
    log_level: str = "INFO"
    # json: one JSON object per line with the current trace and span ids (shared/logs.py),
    # which `commonweave traces <id>` shows beside the spans; text: one human line
    log_format: Literal["json", "text"] = "json"
    # The runner's log files (.data/logs/*.log) rotate at this size, this many kept beside
    log_max_bytes: int = Field(20_000_000, ge=10_000)
    log_backups: int = Field(3, ge=1)
    # The span files (.data/traces/<service>.jsonl) rotate at this size, this many kept beside
    trace_file_max_bytes: int = Field(50_000_000, ge=10_000)
    trace_file_backups: int = Field(1, ge=0)

    # Health (shared/health.py): a readiness probe's store round trip and broker check each
    # answer within health_timeout_seconds; the runner checks every component every
    # health_interval_seconds and restarts one that failed health_failures checks in a row.
    health_timeout_seconds: float = Field(2.0, gt=0)
    health_interval_seconds: float = Field(3.0, gt=0)
    health_failures: int = Field(5, ge=1)
    # Disk watermarks (shared/disk.py) on disk_path (empty: the data directory), as free bytes
    # ("500MB", "2GiB") or a percentage of the volume ("5%"): below the low one a warning,
    # below the high one writes are refused (UNAVAILABLE, retryable) until space comes back.
    disk_path: str = ""
    disk_low_watermark: str = "2GB"
    disk_high_watermark: str = "500MB"

    # notifications: email is off while smtp_host is empty
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_tls: bool = False
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_from: str = "Commonweave <noreply@commonweave.local>"
    email_poll_seconds: float = 1.0
    email_max_backoff_seconds: float = 300.0
    webhook_timeout_seconds: float = 5.0
    webhook_max_failures: int = 5
    # attempts kept in each webhook's delivery log (`webhookDeliveries`), newest first
    webhook_log_size: int = Field(100, ge=1)
    webhook_allow_loopback: bool = False
    digest_hour: int = Field(8, ge=0, le=23)

    # The gateway's limits (see services/gateway/limits.py). Introspection (for authenticated
    # callers only) and GraphiQL are on for development; introspection is off whenever
    # `environment` is production. Request bodies over `gateway_max_body_bytes` are refused
    # (services/gateway/body_limit.py) unless the operation is importSurvey or importDirectory,
    # whose limit is `gateway_max_survey_bytes` (200,000 survey rows of about 80 bytes as a
    # base64 data URL; a zipped directory of tens of thousands of organizations).
    gateway_max_depth: int = 12
    gateway_max_tokens: int = 2000
    gateway_max_aliases: int = 20
    gateway_rate_per_second: float = 50.0
    gateway_rate_burst: int = 200
    # GraphQL requests over HTTP served at once by one gateway process (the ceiling: the limit
    # adapts below it to keep them under the target latency); more are refused at once
    gateway_max_in_flight: int = Field(64, ge=1)
    gateway_target_latency_seconds: float = Field(1.0, gt=0)
    # the fewest the adaptive limit admits at once, however slow the answers: kept for the
    # front door while background work (a replay, a backlog) slows the stack
    gateway_min_in_flight: int = Field(8, ge=1)
    gateway_introspection: bool = True
    gateway_max_body_bytes: int = Field(1_000_000, ge=1)
    gateway_max_survey_bytes: int = Field(25_000_000, ge=1)
    gateway_graphiql: bool = True
    # A resolved token is trusted this long without asking intake again; a removed member's
    # tokens leave the cache at once through `member.removed` (this is the backstop).
    gateway_caller_cache_seconds: float = Field(10.0, ge=0, le=30)

    # matching: weights of the score components (normalised by their sum), how many partners
    # each organization is suggested and the lowest score worth suggesting
    match_weight_shared_goals: float = 0.30
    match_weight_complementarity: float = 0.30
    match_weight_reach: float = 0.10
    match_weight_schedule_fit: float = 0.10
    match_weight_reliability: float = 0.10
    match_weight_inclusivity: float = 0.10
    match_suggestions_per_organization: int = 10
    match_min_score: float = 0.25

    # commitments: when reminders go out, how often the scheduler looks, and how far health or
    # reliability must move before it is announced
    commitment_due_soon_hours: float = 48.0
    scheduler_interval_seconds: float = 30.0
    health_change_threshold: float = 0.01
    # Lets tests set a service's clock with PUT /clock; never on in production.
    clock_control: bool = False
    # Lets tests make event handlers fail with PUT /faults (shared.faults); never in production.
    fault_injection: bool = False

    # intake: survey imports log their progress every this many rows; the gateway waits this
    # long for an import (a large file takes longer than an ordinary call)
    survey_progress_rows: int = 10_000
    survey_import_timeout_seconds: float = 120.0

    # where people open the gateway (the address of links in emails, such as /app's
    # one-time sign-in links); its own URL when empty
    gateway_public_url: str = ""

    def public_url_of_gateway(self) -> str:
        return self.gateway_public_url or self.url_of("gateway")

    @field_validator("disk_low_watermark", "disk_high_watermark")
    @classmethod
    def _watermark(cls, value: str) -> str:
        Watermark.parse(value)  # a ValueError names the field
        return value

    @property
    def disk_watch_path(self) -> Path:
        return Path(self.disk_path) if self.disk_path else self.data_dir

    @model_validator(mode="after")
    def _credentials_come_in_pairs(self) -> Settings:
        if self.kafka_security_protocol == "SASL_SSL" and not (
            self.kafka_username and self.kafka_password.get_secret_value()
        ):
            raise ValueError(
                "kafka_username and kafka_password are required when "
                "kafka_security_protocol is SASL_SSL"
            )
        if bool(self.mongo_username) != bool(self.mongo_password.get_secret_value()):
            raise ValueError("mongo_username and mongo_password are given together or not at all")
        return self

    def port_of(self, service: ServiceName) -> int:
        port: int = getattr(self, f"{service}_port")
        return port

    def url_of(self, service: ServiceName) -> str:
        explicit: str = getattr(self, f"{service}_url", "")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return explicit or f"http://{host}:{self.port_of(service)}"

    def database_name(self, service: ServiceName) -> str:
        return f"{self.db_prefix}_{service}"

    @property
    def trace_dir(self) -> Path:
        return self.data_dir / "traces"
