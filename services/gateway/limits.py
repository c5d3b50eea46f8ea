"""What a caller may ask for: query depth, token and alias counts (strawberry's extensions),
a per-token rate limit shared by every gateway replica (the `limits` library over MongoDB),
and introspection: for authenticated callers only, and off in production or by settings.
Refusals carry `extensions.code = LIMIT_EXCEEDED` (introspection without a valid token:
UNAUTHENTICATED)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import re
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from graphql import BREAK, DocumentNode, FieldNode, Visitor, visit
from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage, MongoDBStorage, MongoDBStorageBase, Storage
from limits.strategies import MovingWindowRateLimiter
from opentelemetry.instrumentation.utils import suppress_instrumentation
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

from shared.errors import AppError, ErrorCode
from shared.settings import Settings

# The messages strawberry's and graphql-core's limiters report, recognised to set the code.
LIMIT_MESSAGES = re.compile(
    r"exceeds maximum operation depth"
    r"|aliases found\. Allowed"
    r"|Document contains more than \d+ tokens"
)


log = logging.getLogger("commonweave.gateway.limits")


def is_limit_message(message: str) -> bool:
    return LIMIT_MESSAGES.search(message) is not None


class SharedRateLimiter:
    """At most `burst` operations per caller in any window of `burst / rate` seconds (whole
    seconds, at least one; `rate` in a second when it is above `burst`): a burst at once,
    `rate` per second sustained. The `limits`
    library's moving window counts them in `storage`, which every gateway replica shares
    (MongoDB: `rate_limit_storage`), so two replicas allow the rate once, not twice.

    The callers' keys are stored as SHA-256 digests: a bearer token never reaches the store.
    The check runs on threads of its own (limits' MongoDB storage is PyMongo's synchronous
    client; its async storage needs Motor, see the README). When the store does not answer
    within `STORE_TIMEOUT_MS`, operations are let through for `STORE_RETRY_SECONDS` without
    asking it, and the failure is logged: the limit protects the services, and losing it for a
    moment costs less than refusing or slowing everyone."""

    def __init__(
        self, rate: float, burst: int, storage: Storage, clock: Callable[[], float] = time.monotonic
    ) -> None:
        window = max(1, math.ceil(burst / rate))
        # a rate above the burst still holds over the (one second) window
        self.item = RateLimitItemPerSecond(max(burst, math.ceil(rate * window)), window)
        # the window keeps one timestamp per operation: a limit this high is no limit (the
        # benchmarks set one), and is not counted at all
        self.unlimited = self.item.amount >= UNLIMITED
        self.storage = storage
        self.limiter = MovingWindowRateLimiter(storage)
        self.clock = clock
        self._threads = ThreadPoolExecutor(RATE_LIMIT_THREADS, thread_name_prefix="rate-limit")
        self._indexed = not isinstance(storage, MongoDBStorageBase)
        self._unreachable_until: float | None = None

    async def allow(self, key: str) -> bool:
        digest = hashlib.sha256(key.encode()).hexdigest()
        if self.unlimited:
            return True
        if isinstance(self.storage, MemoryStorage):
            return self._hit(digest)  # in this process: microseconds, no I/O
        if self._unreachable_until is not None and self.clock() < self._unreachable_until:
            return True
        loop = asyncio.get_running_loop()
        try:
            allowed = await loop.run_in_executor(self._threads, self._hit, digest)
        except Exception as exc:  # the store's failure, whatever the driver calls it
            if self._unreachable_until is None:
                log.warning("rate limit store unreachable, letting operations through: %s", exc)
            self._unreachable_until = self.clock() + STORE_RETRY_SECONDS
            return True
        if self._unreachable_until is not None:
            log.info("rate limit store reachable again")
            self._unreachable_until = None
        return allowed

    def _hit(self, digest: str) -> bool:
        with suppress_instrumentation():  # one check per operation: not worth a span each
            if not self._indexed and isinstance(self.storage, MongoDBStorageBase):
                # limits creates it only with its client, and never again if that failed
                self.storage.windows.create_index("expireAt", expireAfterSeconds=0)
                self._indexed = True
            return self.limiter.hit(self.item, digest)


RATE_LIMIT_THREADS = 8
UNLIMITED = 1_000_000
STORE_TIMEOUT_MS = 1000
STORE_RETRY_SECONDS = 5.0


def rate_limit_storage(settings: Settings) -> Storage:
    """limits' MongoDB storage in the gateway's database of the shared store (collections
    `rate_windows` and `rate_counters`, their entries expiring by a TTL index)."""
    return MongoDBStorage(
        settings.mongo_url,
        database_name=settings.database_name("gateway"),
        counter_collection_name="rate_counters",
        window_collection_name="rate_windows",
        timeoutMS=STORE_TIMEOUT_MS,
        serverSelectionTimeoutMS=STORE_TIMEOUT_MS,
        connectTimeoutMS=STORE_TIMEOUT_MS,
        retryWrites=settings.mongo_retry_writes,  # off on the embedded store: deploy/stack.py
    )


class RateLimit(SchemaExtension):
    """Refuses an operation when its caller (keyed by the bearer token, else the client's
    address) has used its share: LIMIT_EXCEEDED."""

    def __init__(self, limiter: SharedRateLimiter) -> None:
        self.limiter = limiter

    async def on_execute(self) -> AsyncIterator[None]:
        key = getattr(self.execution_context.context, "rate_key", "anonymous")
        if not await self.limiter.allow(key):
            raise AppError(ErrorCode.LIMIT_EXCEEDED, "rate limit exceeded; slow down and retry")
        yield


INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})  # `__typename` is not introspection


class _IntrospectionFinder(Visitor):
    found = False

    def enter_field(self, node: FieldNode, *_: Any) -> Any:
        if node.name.value in INTROSPECTION_FIELDS:
            self.found = True
            return BREAK
        return None


def asks_for_introspection(document: DocumentNode) -> bool:
    """Whether any operation or fragment of the document selects `__schema` or `__type`."""
    finder = _IntrospectionFinder()
    visit(document, finder)
    return finder.found


class AuthenticatedIntrospection(SchemaExtension):
    """Introspection only for a caller with a valid bearer token (resolved as every resolver
    resolves it, `GatewayContext.caller`); anonymous callers and unknown tokens are refused
    UNAUTHENTICATED before anything runs."""

    async def on_execute(self) -> AsyncIterator[None]:
        document = self.execution_context.graphql_document
        if document is not None and asks_for_introspection(document):
            caller = getattr(self.execution_context.context, "caller", None)
            if caller is None:
                raise AppError(ErrorCode.UNAUTHENTICATED, INTROSPECTION_NEEDS_TOKEN)
            try:
                await caller()
            except AppError as exc:
                if exc.code is ErrorCode.UNAUTHENTICATED:
                    raise AppError(ErrorCode.UNAUTHENTICATED, INTROSPECTION_NEEDS_TOKEN) from exc
                raise
        yield


INTROSPECTION_NEEDS_TOKEN = "introspection needs a valid Authorization: Bearer token"


def introspection_allowed(settings: Settings) -> bool:
    """Off in production (`COMMONWEAVE_ENVIRONMENT=production`) whatever the switch says."""
    return settings.gateway_introspection and settings.environment.lower() != "production"


ExtensionFactory = Callable[[], SchemaExtension]


def limit_extensions(
    settings: Settings, rate_storage: Storage | None = None
) -> list[ExtensionFactory]:
    """One fresh extension per request (strawberry's per-request isolation). Without
    `rate_storage` the rate is counted in this process's memory (a schema built for a test or
    to print its SDL); the gateway's app passes the shared `rate_limit_storage`."""
    limiter = SharedRateLimiter(
        settings.gateway_rate_per_second,
        settings.gateway_rate_burst,
        rate_storage if rate_storage is not None else MemoryStorage(),
    )
    # The depth and alias rules are built once: a rule class made per request would make
    # every request's rules new, and the validation cache (schema/__init__.py) would miss.
    rules = [
        *QueryDepthLimiter(max_depth=settings.gateway_max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.gateway_max_aliases).validation_rules,
    ]
    factories: list[ExtensionFactory] = [
        lambda: AddValidationRules(rules),
        lambda: MaxTokensLimiter(max_token_count=settings.gateway_max_tokens),
        lambda: RateLimit(limiter),
    ]
    if introspection_allowed(settings):
        factories.append(AuthenticatedIntrospection)
    else:
        factories.append(DisableIntrospection)
    return factories
