"""The bases of the contracts: every event payload, and internal answers written in camelCase."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class Payload(BaseModel):
    # Additive changes only: unknown fields are ignored so older consumers accept newer events.
    model_config = ConfigDict(extra="ignore", frozen=True)


class CamelAnswer(BaseModel):
    """An internal HTTP answer whose JSON keys are camelCase (`subjectId`), read and written
    by field name in Python (`subject_id`)."""

    model_config = ConfigDict(
        extra="ignore",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        serialize_by_alias=True,
    )
