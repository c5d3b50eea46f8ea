"""One way from a service's answer to a GraphQL object: `build(Type, answer)` fills each field
of the strawberry type from the answer's value of the same name, so a type that shows what the
service sends needs no mapper of its own.

The answer is the typed answer of the service's route (a model from `shared/contracts/`, read
by field name whatever its JSON keys), or a mapping with the same names. Each value is
converted to the field's type: nested object types and lists of them are built the same way,
enums take the service's value (`"active"` -> `PartnershipStatus.ACTIVE`), date-times are
parsed from ISO-8601. A missing optional field is null. Fields computed by resolvers are left
to them. Where the shape truly differs (an id under another name, a value that depends on who
reads), the caller gives that field as a keyword, converted the same way:
`build(Organization, profile, id=profile.organization_id)`.

The other way, `request(Model, input, **given)` is the request a service's route takes
(`shared.contracts.requests`), read from a strawberry input by field name the same way: each
field of the model from the input's value of the same name (nested inputs and lists of them
build the nested models), a field the input lacks from its default, the `given` keywords on
top (`request(rq.FormPartnership, input=including(input, network_id=...), offers=offers)`).
Fields of the input the model does not take (an id that goes in the path) are not sent. The
model is validated here, before any call: a bad value is BAD_USER_INPUT naming its path
(`input.dueAt`), the same path the service would name."""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from dataclasses import MISSING as NO_DEFAULT
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from strawberry.types.base import StrawberryList, StrawberryOptional, has_object_definition
from strawberry.types.enum import StrawberryEnumDefinition
from strawberry.types.field import StrawberryField
from strawberry.types.lazy_type import LazyType
from strawberry.types.private import is_private
from strawberry.types.unset import UNSET

from shared.http import validated

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
MISSING = object()


def build(type_: type[T], answer: Mapping[str, Any] | BaseModel, /, **given: Any) -> T:
    """An instance of the strawberry object type `type_` from `answer`, with the `given`
    fields read from the keywords instead (a `strawberry.Private` field is only given)."""
    values: dict[str, Any] = {}
    for field in type_.__strawberry_definition__.fields:  # type: ignore[attr-defined]
        name = field.python_name
        if field.base_resolver is not None:
            continue
        if is_private(field.type):
            if name in given:
                values[name] = given[name]
            continue
        value = given[name] if name in given else _read(answer, name)
        if value is MISSING:
            if _has_default(field):
                continue
            if not isinstance(field.type, StrawberryOptional):
                raise KeyError(f"{type_.__name__}.{name}: the answer has no {name!r}")
            value = None
        values[name] = convert(field.type, value)
    return type_(**values)


def build_all(type_: type[T], answers: list[Any], /, **given: Any) -> list[T]:
    return [build(type_, answer, **given) for answer in answers]


def convert(type_: Any, value: Any) -> Any:
    """`value` (from JSON or a contract) as a field of GraphQL type `type_` holds it."""
    if value is None:
        return None
    if isinstance(type_, LazyType):
        type_ = type_.resolve_type()
    if isinstance(type_, StrawberryOptional):
        return convert(type_.of_type, value)
    if isinstance(type_, StrawberryList):
        return [convert(type_.of_type, item) for item in value]
    if isinstance(type_, StrawberryEnumDefinition):
        return type_.wrapped_cls(value)
    if type_ is datetime:
        return datetime.fromisoformat(value) if isinstance(value, str) else value
    if isinstance(type_, type) and has_object_definition(type_):
        return value if isinstance(value, type_) else build(type_, value)
    return value


def _read(answer: Mapping[str, Any] | BaseModel, name: str) -> Any:
    if isinstance(answer, BaseModel):
        return getattr(answer, name, MISSING)
    return answer.get(name, MISSING)


def _has_default(field: StrawberryField) -> bool:
    return field.default is not NO_DEFAULT or field.default_factory is not NO_DEFAULT


def request(model: type[M], source: object = None, /, **given: object) -> M:
    """The request model `model` from the strawberry input `source` and the `given` fields;
    BAD_USER_INPUT naming the first bad field when it does not validate."""
    return validated(model, _fields(model, source, given))


def including(source: object, **extra: object) -> types.SimpleNamespace:
    """`source`'s fields and `extra` ones, for a nested input that takes fields the client
    does not send (the caller's network, organization)."""
    return types.SimpleNamespace(**{**vars(source), **extra})


def _fields(model: type[BaseModel], source: object, given: Mapping[str, object]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        value = given[name] if name in given else getattr(source, name, MISSING)
        if value is MISSING or value is UNSET:
            continue
        data[name] = _data(field.annotation, value)
    return data


def _data(annotation: Any, value: Any) -> Any:
    if isinstance(value, list):
        item = typing.get_args(annotation)
        return [_data(item[0] if item else Any, v) for v in value]
    if has_object_definition(type(value)) or isinstance(value, types.SimpleNamespace):
        nested = _model_in(annotation)
        if nested is not None:
            return _fields(nested, value, {})
        return {k: _data(Any, v) for k, v in vars(value).items()}
    return value


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds: `Model`, `Model | None`, `list[Model]`..."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
