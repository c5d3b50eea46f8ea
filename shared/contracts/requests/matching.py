"""The request models of matching's internal routes (services/matching/api.py)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.intake import NeedProfile
from shared.contracts.matching import MatchDecision
from shared.contracts.text import TextInput


class RespondToMatch(TextInput):
    model_config = ConfigDict(extra="forbid")
    organization_id: str = Field(min_length=1, max_length=100)
    decision: MatchDecision
    reason: str = Field("", max_length=2000)


class Introduce(TextInput):
    model_config = ConfigDict(extra="forbid")
    network_id: str = Field(min_length=1, max_length=100)
    organization_ids: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        max_length=10
    )
    note: str = Field(min_length=1, max_length=2000)
    introduced_by: str = Field(min_length=1, max_length=200)
    # The organizations' names as the gateway read them in intake: matching may not have
    # heard of a registration yet.
    names: dict[str, str] = {}


class CoalitionsFor(BaseModel):
    """A need's profile as the gateway holds it (one just reported, before matching has read
    its event)."""

    model_config = ConfigDict(extra="forbid")
    need: NeedProfile
    first: int = Field(3, ge=1, le=10)
