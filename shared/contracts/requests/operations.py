"""The request models of the routes every service has."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel


class SetClock(BaseModel):
    """`PUT /clock`: the service's time from now on (null: back to the system clock)."""

    now: AwareDatetime | None = None
