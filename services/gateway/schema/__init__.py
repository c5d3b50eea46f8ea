"""The public schema: each service's module contributes its Query and Mutation types
(`QUERIES`, `MUTATIONS`), merged here into one Query and one Mutation, with `node(id)` and the
subscriptions. Root query fields are nullable, so a service that is down nulls only the fields
that need it (with an UNAVAILABLE error) while the rest of the response answers."""

from __future__ import annotations

from collections.abc import Sequence

import strawberry
from graphql import GraphQLError
from limits.storage import Storage
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext
from strawberry.types.base import StrawberryOptional

from services.gateway.ids import WellFormedIds
from services.gateway.limits import introspection_allowed, limit_extensions
from services.gateway.operation_span import OperationSpan
from services.gateway.readiness import StackStarting
from services.gateway.schema import (
    commitments,
    consent,
    directory,
    intake,
    intake_mutations,
    introductions,
    links,
    matching,
    needs,
    node,
    notifications,
    preferences,
    voice,
    webhooks,
)
from services.gateway.schema.errors import ContractErrors, log_unexpected
from services.gateway.schema.operation_metrics import OperationMetrics, operation_duration
from services.gateway.schema.subscriptions import Subscription
from services.gateway.suggestions import HiddenSuggestions
from shared.settings import Settings

PARTS = (
    intake,
    intake_mutations,
    needs,
    directory,
    links,
    matching,
    introductions,
    commitments,
    consent,
    notifications,
    preferences,
    voice,
    webhooks,
    node,
)
Query = merge_types("Query", tuple(t for part in PARTS for t in part.QUERIES))
Mutation = merge_types(
    "Mutation", tuple(t for part in PARTS for t in getattr(part, "MUTATIONS", []))
)


def _nullable_fields(type_: type) -> None:
    for field in type_.__strawberry_definition__.fields:  # type: ignore[attr-defined]
        if not isinstance(field.type, StrawberryOptional):
            field.type = StrawberryOptional(field.type)


_nullable_fields(Query)


QUERY_CACHE_SIZE = 512


class GatewaySchema(strawberry.Schema):
    def process_errors(
        self, errors: Sequence[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_unexpected(errors, execution_context)


def build_schema(
    settings: Settings | None = None, rate_storage: Storage | None = None
) -> strawberry.Schema:
    """`rate_storage`: where the rate limit counts (the gateway's app: the store every replica
    shares); without it, this process's memory."""
    settings = settings or Settings(_env_file=None)
    limits = limit_extensions(settings, rate_storage)
    duration = operation_duration()
    return GatewaySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=node.node_types(),
        extensions=[
            lambda: OperationMetrics(duration),  # first: it times everything after it
            OperationSpan,
            ContractErrors,
            StackStarting,
            WellFormedIds,
            *limits,
            # Clients send the same few documents again and again: parsing and validating
            # each was a fifth of the gateway's CPU per registration (py-spy, BENCHMARKS.md).
            # Both caches are bounded LRUs keyed by the document text (and the parse options
            # the token limiter sets), so a stream of unique documents cannot grow memory.
            lambda: ParserCache(maxsize=QUERY_CACHE_SIZE),
            lambda: ValidationCache(maxsize=QUERY_CACHE_SIZE),
            # no "Did you mean ...?" for a caller who may not introspect the schema
            lambda: HiddenSuggestions(introspection_allowed(settings)),
        ],
    )
