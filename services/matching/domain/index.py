"""The in-memory index of every organization profile: one row per organization, each set
(focus areas, values, offers, needs, populations, available UTC hours) as bit rows, so a
score against all organizations is a handful of numpy operations rather than a Python loop."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray

from services.matching.domain.bits import BitMatrix, Vocabulary, label
from services.matching.domain.mission import MissionIndex
from services.matching.domain.schedule import this_monday, utc_hours, utc_offset_hours
from shared.contracts import OrganizationProfile

NEUTRAL_RELIABILITY = 0.5
SETS = ("focus", "values", "offers", "needs", "populations")


@dataclass
class ProfileIndex:
    # the reference week the UTC hours are counted in (time zones' offsets that week)
    monday: date
    ids: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)
    time_zones: list[str] = field(default_factory=list)
    vocab: dict[str, Vocabulary] = field(default_factory=dict)
    sets: dict[str, BitMatrix] = field(default_factory=dict)
    hours: BitMatrix = field(default_factory=lambda: BitMatrix(width=3))
    mission: MissionIndex = field(default_factory=MissionIndex)
    networks: Vocabulary = field(default_factory=Vocabulary)
    regions: Vocabulary = field(default_factory=Vocabulary)
    capacity: int = 0
    network: NDArray[np.int32] = field(default_factory=lambda: np.zeros(0, np.int32))
    region: NDArray[np.int32] = field(default_factory=lambda: np.zeros(0, np.int32))
    offset: NDArray[np.float32] = field(default_factory=lambda: np.zeros(0, np.float32))
    virtual: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, np.bool_))
    # opted in to collaborations across linked networks
    open: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, np.bool_))
    # active links between networks, both ways, by network vocabulary id
    links: dict[int, set[int]] = field(default_factory=dict)
    active: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, np.bool_))
    reliability: NDArray[np.float32] = field(default_factory=lambda: np.zeros(0, np.float32))
    reliability_known: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, np.bool_))

    def __post_init__(self) -> None:
        # offers and needs share one vocabulary: what A offers is what B needs
        kinds = Vocabulary()
        for name in SETS:
            self.vocab[name] = kinds if name in ("offers", "needs") else Vocabulary()
            self.sets[name] = BitMatrix()
        self._grow(1024)

    @classmethod
    def week_of(cls, today: date) -> ProfileIndex:
        """An empty index whose reference week is `today`'s (the service's clock's day)."""
        return cls(this_monday(today))

    def _grow(self, rows: int) -> None:
        if rows <= self.capacity:
            return
        size = max(rows, self.capacity * 2)

        def widen(old: NDArray[Any], fill: float) -> NDArray[Any]:
            new = np.full(size, fill, dtype=old.dtype)
            new[: len(old)] = old
            return new

        self.network = widen(self.network, -1)
        self.region = widen(self.region, -1)
        self.offset = widen(self.offset, 0)
        self.virtual = widen(self.virtual, False)
        self.open = widen(self.open, False)
        self.active = widen(self.active, False)
        self.reliability = widen(self.reliability, NEUTRAL_RELIABILITY)
        self.reliability_known = widen(self.reliability_known, False)
        self.capacity = size

    def __len__(self) -> int:
        return len(self.ids)

    def row_of(self, organization_id: str) -> int | None:
        return self.rows.get(organization_id)

    def put(self, profile: OrganizationProfile) -> int:
        return self.put_many([profile])[0]

    def put_many(self, profiles: list[OrganizationProfile]) -> list[int]:
        """Adds or replaces profiles; missions are vectorised in one batch."""
        rows: list[int] = []
        for p in profiles:
            row = self.rows.get(p.organization_id)
            if row is None:
                row = self.rows[p.organization_id] = len(self.ids)
                self.ids.append(p.organization_id)
                self.names.append(p.name)
                self.time_zones.append(p.time_zone)
                self._grow(row + 1)
            self.names[row], self.time_zones[row] = p.name, p.time_zone
            for name, values in self.labels_of(p).items():
                self.sets[name].set(row, [self.vocab[name].id_of(v) for v in values])
            self.hours.set(row, utc_hours(p.availability, p.time_zone, self.monday))
            self.network[row] = self.networks.id_of(p.network_id)
            self.region[row] = self.regions.id_of(p.region) if label(p.region) else -1
            self.offset[row] = utc_offset_hours(p.time_zone, self.monday)
            self.virtual[row] = p.virtual_ready
            self.open[row] = p.open_to_other_networks
            self.active[row] = not p.archived
            rows.append(row)
        # a bulk load fills contiguous rows: vectorise those missions in one batch
        if rows and rows == list(range(rows[0], rows[0] + len(rows))):
            self.mission.set_many(rows[0], [p.mission for p in profiles])
        else:
            for row, p in zip(rows, profiles, strict=True):
                self.mission.set(row, p.mission)
        return rows

    @staticmethod
    def labels_of(p: OrganizationProfile) -> dict[str, list[str]]:
        return {
            "focus": p.focus_areas + p.free_tags,
            "values": p.values,
            "offers": [r.kind for r in p.offers],
            "needs": [r.kind for r in p.needs],
            "populations": p.populations_served,
        }

    def link(self, network_id: str, other_network_id: str) -> None:
        """An active link: opted-in, virtual-ready organizations of the two may be matched."""
        a, b = self.networks.id_of(network_id), self.networks.id_of(other_network_id)
        self.links.setdefault(a, set()).add(b)
        self.links.setdefault(b, set()).add(a)

    def unlink(self, network_id: str, other_network_id: str) -> None:
        a, b = self.networks.id_of(network_id), self.networks.id_of(other_network_id)
        self.links.get(a, set()).discard(b)
        self.links.get(b, set()).discard(a)

    def linked_networks(self, row: int) -> list[int]:
        """The networks linked with `row`'s own, by vocabulary id."""
        return sorted(self.links.get(int(self.network[row]), ()))

    def across_networks(self, row: int) -> bool:
        """May `row` be matched across its network's links: opted in and virtual-ready."""
        return bool(self.open[row] and self.virtual[row] and self.active[row])

    def network_of(self, row: int) -> str:
        return self.networks.labels[self.network[row]]

    def set_reliability(self, organization_id: str, reliability: float) -> bool:
        row = self.rows.get(organization_id)
        if row is None:
            return False
        self.reliability[row] = min(max(reliability, 0.0), 1.0)
        self.reliability_known[row] = True
        return True

    def labels(self, name: str, row: int) -> list[str]:
        vocab = self.vocab[name]
        return [vocab.labels[i] for i in self.sets[name].row(row)]
