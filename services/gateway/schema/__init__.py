"""The public schema: each service's module contributes its Query and Mutation types
(`QUERIES`, `MUTATIONS`), merged here into one Query and one Mutation."""

from __future__ import annotations

import strawberry
from strawberry.tools import merge_types

from services.gateway.schema import commitments, intake, matching, notifications
from services.gateway.schema.errors import ContractErrors

PARTS = (intake, matching, commitments, notifications)
Query = merge_types("Query", tuple(t for part in PARTS for t in part.QUERIES))
Mutation = merge_types("Mutation", tuple(t for part in PARTS for t in part.MUTATIONS))


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(query=Query, mutation=Mutation, extensions=[ContractErrors])
