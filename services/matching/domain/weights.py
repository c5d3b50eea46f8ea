"""The score's components' weights, and what each component counts as full marks."""

from __future__ import annotations

from dataclasses import dataclass, fields

FULL_SCHEDULE_HOURS = 4  # this many shared hours a week is a perfect schedule fit
WORKDAY_HOURS = 8  # time zones this many hours apart share no working day


@dataclass(frozen=True)
class Weights:
    """Of each score component (normalised by their sum). Their defaults are settings
    (`match_weight_<name>`, shared/settings.py), written there only."""

    shared_goals: float
    complementarity: float
    reach: float
    schedule_fit: float
    reliability: float
    inclusivity: float

    def items(self) -> list[tuple[str, float]]:
        return [(f.name, float(getattr(self, f.name))) for f in fields(self)]

    def normalised(self) -> dict[str, float]:
        """Each weight over their sum (as a total score uses them)."""
        items = self.items()
        weight_sum = sum(w for _, w in items) or 1.0
        return {name: w / weight_sum for name, w in items}
