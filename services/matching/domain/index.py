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
from services.matching.domain.columns import ProfileColumns, Window
from services.matching.domain.mission import MissionIndex
from services.matching.domain.schedule import this_monday, utc_hours, utc_offset_hours
from shared.contracts import AvailabilityWindow, OrganizationProfile

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
        """Adds or replaces profiles."""
        return self.put_columns(ProfileColumns.of_profiles(profiles))

    def put_columns(self, columns: ProfileColumns) -> list[int]:
        """Adds or replaces profiles, column by column: each set's bits in one scatter,
        missions vectorised in one batch. A batch naming one organization twice is taken
        one profile at a time (the last one wins, as with one `put` after another)."""
        if len(set(columns.ids)) < len(columns):
            return [self.put_columns(one)[0] for one in _each(columns)]
        rows: list[int] = []
        for organization_id in columns.ids:
            row = self.rows.get(organization_id)
            if row is None:
                row = self.rows[organization_id] = len(self.ids)
                self.ids.append(organization_id)
                self.names.append("")
                self.time_zones.append("")
            rows.append(row)
        if not rows:
            return rows
        self._grow(max(rows) + 1)
        at = np.array(rows, dtype=np.int64)
        for row, name, zone in zip(rows, columns.names, columns.time_zones, strict=True):
            self.names[row], self.time_zones[row] = name, zone
        for name, ids in self._label_ids(columns).items():
            self.sets[name].set_many(at, ids)
        self.hours.set_many(at, self._utc_hours(columns))
        offsets = {z: utc_offset_hours(z, self.monday) for z in set(columns.time_zones)}
        regions = {r: self.regions.id_of(r) if label(r) else -1 for r in set(columns.regions)}
        self.network[at] = [self.networks.id_of(n) for n in columns.networks]
        self.region[at] = [regions[r] for r in columns.regions]
        self.offset[at] = [offsets[z] for z in columns.time_zones]
        self.virtual[at] = columns.virtual
        self.open[at] = columns.open
        self.active[at] = [not archived for archived in columns.archived]
        for row, value in zip(rows, columns.reliability, strict=True):
            if value is not None:
                self.reliability[row] = min(max(value, 0.0), 1.0)
                self.reliability_known[row] = True
        # a bulk load fills contiguous rows: vectorise those missions in one batch
        if rows == list(range(rows[0], rows[0] + len(rows))):
            self.mission.set_many(rows[0], columns.missions)
        else:
            for row, mission in zip(rows, columns.missions, strict=True):
                self.mission.set(row, mission)
        return rows

    def _label_ids(self, columns: ProfileColumns) -> dict[str, list[list[int]]]:
        """Each set's label ids, profile by profile: a new label gets the next id in the
        order profiles list them (offers and needs share one vocabulary, and a reason lists
        labels in id order)."""
        labels = columns.labels()
        found: dict[str, list[list[int]]] = {name: [] for name in SETS}
        for i in range(len(columns)):
            for name in SETS:
                id_of = self.vocab[name].id_of
                found[name].append([id_of(v) for v in labels[name][i]])
        return found

    def _utc_hours(self, columns: ProfileColumns) -> list[list[int]]:
        """Each profile's UTC hours, computed once per distinct (windows, time zone)."""
        known: dict[tuple[tuple[Window, ...], str], list[int]] = {}
        out: list[list[int]] = []
        for windows, zone in zip(columns.availability, columns.time_zones, strict=True):
            hours = known.get((windows, zone))
            if hours is None:
                listed = [AvailabilityWindow(day=d, start=s, end=e) for d, s, e in windows]
                hours = known[(windows, zone)] = utc_hours(listed, zone, self.monday)
            out.append(hours)
        return out

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


def _each(columns: ProfileColumns) -> list[ProfileColumns]:
    """A batch as batches of one profile each, in order."""
    fields = vars(columns)
    return [
        ProfileColumns(**{name: [values[i]] for name, values in fields.items()})
        for i in range(len(columns))
    ]
