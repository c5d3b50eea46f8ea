"""What a caller may ask for: query depth, token and alias counts (strawberry's extensions),
a per-token rate limit (a token bucket in memory, per gateway process), and introspection:
for authenticated callers only, and off in production or by settings. Refusals carry
`extensions.code = LIMIT_EXCEEDED` (introspection without a valid token: UNAUTHENTICATED)."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from graphql import BREAK, DocumentNode, FieldNode, Visitor, visit
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.types.graphql import OperationType

from shared.errors import AppError, ErrorCode
from shared.settings import Settings

# The messages strawberry's and graphql-core's limiters report, recognised to set the code.
LIMIT_MESSAGES = re.compile(
    r"exceeds maximum operation depth"
    r"|aliases found\. Allowed"
    r"|Document contains more than \d+ tokens"
)


def is_limit_message(message: str) -> bool:
    return LIMIT_MESSAGES.search(message) is not None


@dataclass
class Bucket:
    tokens: float
    updated: float


@dataclass
class RateLimiter:
    """A token bucket per key: `burst` requests at once, refilled at `rate` per second."""

    rate: float
    burst: int
    clock: Callable[[], float] = time.monotonic
    max_keys: int = 100_000
    _buckets: dict[str, Bucket] = field(default_factory=dict)

    def allow(self, key: str) -> bool:
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._buckets.clear()  # bounded memory; forgetting is in the caller's favour
            bucket = self._buckets[key] = Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens < 1.0:
            return False
        bucket.tokens -= 1.0
        return True


class RateLimit(SchemaExtension):
    """Refuses an operation when the caller's bucket is empty (keyed by the bearer token)."""

    def __init__(self, limiter: RateLimiter) -> None:
        self.limiter = limiter

    def on_execute(self) -> Iterator[None]:
        key = getattr(self.execution_context.context, "rate_key", "anonymous")
        if not self.limiter.allow(key):
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


@dataclass
class InFlight:
    """Operations this gateway process is executing now."""

    limit: int
    count: int = 0


class LoadShedding(SchemaExtension):
    """Under overload, refuses at once (UNAVAILABLE, retryable) rather than queueing operations
    into timeouts, where a write may land after its caller was told it failed."""

    def __init__(self, in_flight: InFlight) -> None:
        self.in_flight = in_flight

    def on_execute(self) -> Iterator[None]:
        if self.execution_context.operation_type is OperationType.SUBSCRIPTION:
            yield  # long-lived by design: not what overload is made of
            return
        if self.in_flight.count >= self.in_flight.limit:
            raise AppError(
                ErrorCode.UNAVAILABLE,
                "the gateway is at capacity; retry shortly",
                details={"retryable": True},
            )
        self.in_flight.count += 1
        try:
            yield
        finally:
            self.in_flight.count -= 1


def limit_extensions(settings: Settings) -> list[ExtensionFactory]:
    """One fresh extension per request (strawberry's per-request isolation)."""
    limiter = RateLimiter(settings.gateway_rate_per_second, settings.gateway_rate_burst)
    in_flight = InFlight(settings.gateway_max_in_flight)
    factories: list[ExtensionFactory] = [
        lambda: QueryDepthLimiter(max_depth=settings.gateway_max_depth),
        lambda: MaxTokensLimiter(max_token_count=settings.gateway_max_tokens),
        lambda: MaxAliasesLimiter(max_alias_count=settings.gateway_max_aliases),
        lambda: RateLimit(limiter),
        lambda: LoadShedding(in_flight),
    ]
    if introspection_allowed(settings):
        factories.append(AuthenticatedIntrospection)
    else:
        factories.append(DisableIntrospection)
    return factories
