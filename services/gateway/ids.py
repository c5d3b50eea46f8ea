"""Ids are opaque to clients but have one shape (`org_3f2a...`, sortable digits, `operator:net_..`).
An ID argument of another shape cannot name anything, so it answers NOT_FOUND at the door
instead of reaching a service as a broken URL path (`/organizations/a/b`, `..`, "")."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    get_named_type,
)
from strawberry.extensions import SchemaExtension

from shared.errors import not_found

ID_SHAPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_:.-]{0,127}")


def is_well_formed(value: str) -> bool:
    return ID_SHAPE.fullmatch(value) is not None and ".." not in value


def check_ids(type_: GraphQLInputType, value: Any) -> None:
    """Raises NOT_FOUND for a malformed ID anywhere in an argument value."""
    if value is None:
        return
    named = get_named_type(type_)
    if isinstance(value, list):
        for item in value:
            check_ids(type_, item)  # get_named_type unwraps the list
    elif isinstance(named, GraphQLScalarType) and named.name == "ID":
        if not is_well_formed(str(value)):
            raise not_found("object", str(value)[:40])
    elif isinstance(named, GraphQLInputObjectType) and isinstance(value, dict):
        for name, field in named.fields.items():
            check_ids(field.type, value.get(name))


class WellFormedIds(SchemaExtension):
    """Checks the arguments of root fields (Query, Mutation, Subscription) only: nested
    fields take ids the gateway itself got from the services."""

    def resolve(
        self,
        _next: Callable[..., Any],
        root: Any,
        info: GraphQLResolveInfo,
        *args: str,
        **kwargs: Any,
    ) -> Any:
        if info.path.prev is None and kwargs:
            field = info.parent_type.fields[info.field_name]
            for name, arg in field.args.items():
                check_ids(arg.type, kwargs.get(name))
        return _next(root, info, *args, **kwargs)
