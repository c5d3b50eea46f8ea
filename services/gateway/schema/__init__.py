"""The public schema: each service's part merged into one Query and one Mutation."""

from __future__ import annotations

import strawberry
from strawberry.tools import merge_types

from services.gateway.schema.errors import ContractErrors
from services.gateway.schema.intake import IntakeMutation, IntakeQuery
from services.gateway.schema.notifications import NotificationsQuery

Query = merge_types("Query", (IntakeQuery, NotificationsQuery))
Mutation = merge_types("Mutation", (IntakeMutation,))


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(query=Query, mutation=Mutation, extensions=[ContractErrors])
