"""Error shaping: the contract's codes and fields, no internals leaked."""

from __future__ import annotations

from graphql import GraphQLError

from services.gateway.schema.errors import INTERNAL_MESSAGE, shape_error
from shared.errors import AppError, ErrorCode


def test_app_errors_carry_code_camel_cased_field_and_details() -> None:
    error = GraphQLError(
        "bad",
        original_error=AppError(
            ErrorCode.BAD_USER_INPUT,
            "bad",
            field="input.offers[2].time_zone",
            details={"existingId": "org_1"},
        ),
    )
    assert shape_error(error).extensions == {
        "code": "BAD_USER_INPUT",
        "field": "input.offers[2].timeZone",
        "existingId": "org_1",
    }


def test_unexpected_errors_are_masked() -> None:
    shaped = shape_error(GraphQLError("KeyError: 'secret'", original_error=KeyError("secret")))
    assert shaped.message == INTERNAL_MESSAGE
    assert shaped.extensions == {"code": "INTERNAL"}
    assert "secret" not in str(shaped.formatted)


def test_query_errors_are_bad_user_input_and_shaping_is_idempotent() -> None:
    shaped = shape_error(GraphQLError("Cannot query field 'x' on type 'Query'."))
    assert shaped.extensions == {"code": "BAD_USER_INPUT"}
    assert shape_error(shaped).extensions == {"code": "BAD_USER_INPUT"}
    limit = shape_error(GraphQLError("'q' exceeds maximum operation depth of 3"))
    assert limit.extensions == {"code": "LIMIT_EXCEEDED"}
