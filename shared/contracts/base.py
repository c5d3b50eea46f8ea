"""The base of every event payload."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Payload(BaseModel):
    # Additive changes only: unknown fields are ignored so older consumers accept newer events.
    model_config = ConfigDict(extra="ignore", frozen=True)
