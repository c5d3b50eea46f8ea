"""What the index keeps of many profiles, field by field (one list per field, one entry per
profile), so a batch becomes numpy columns in a few operations. Built from validated profiles
(events) or straight from the read model's documents (the profiles' JSON form) at start-up,
where validating 100,000 documents one model at a time took longer than the rest of the load."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shared.contracts import OrganizationProfile

Window = tuple[str, str, str]  # day, start, end
Document = Mapping[str, Any]


@dataclass
class ProfileColumns:
    ids: list[str]
    networks: list[str]
    names: list[str]
    missions: list[str]
    focus: list[list[str]]  # focus areas and free tags
    values: list[list[str]]
    offers: list[list[str]]  # resource kinds
    needs: list[list[str]]
    populations: list[list[str]]
    regions: list[str]
    time_zones: list[str]
    availability: list[tuple[Window, ...]]
    virtual: list[bool]
    open: list[bool]
    archived: list[bool]
    # a read model's reliability (None: not known yet); events carry none
    reliability: list[float | None]

    def __len__(self) -> int:
        return len(self.ids)

    def labels(self) -> dict[str, list[list[str]]]:
        return {
            "focus": self.focus,
            "values": self.values,
            "offers": self.offers,
            "needs": self.needs,
            "populations": self.populations,
        }

    @classmethod
    def of_profiles(cls, profiles: list[OrganizationProfile]) -> ProfileColumns:
        return cls(
            ids=[p.organization_id for p in profiles],
            networks=[p.network_id for p in profiles],
            names=[p.name for p in profiles],
            missions=[p.mission for p in profiles],
            focus=[p.focus_areas + p.free_tags for p in profiles],
            values=[p.values for p in profiles],
            offers=[[r.kind for r in p.offers] for p in profiles],
            needs=[[r.kind for r in p.needs] for p in profiles],
            populations=[p.populations_served for p in profiles],
            regions=[p.region for p in profiles],
            time_zones=[p.time_zone for p in profiles],
            availability=[tuple((w.day, w.start, w.end) for w in p.availability) for p in profiles],
            virtual=[p.virtual_ready for p in profiles],
            open=[p.open_to_other_networks for p in profiles],
            archived=[p.archived for p in profiles],
            reliability=[None] * len(profiles),
        )

    @classmethod
    def of_documents(cls, documents: Sequence[Document]) -> ProfileColumns:
        """The read model's documents (written from validated profiles) without a model per
        document: the first is validated as a profile (the shape), the columns are read
        with the contract's defaults and their types checked column by column. When one
        does not fit, every document is validated as before: pydantic's `ValidationError`
        names the field, or its coercions (a "yes" for true) are taken."""
        if documents:
            OrganizationProfile.model_validate(documents[0])
        try:
            columns = cls._read(documents)
            columns.check()
        except (KeyError, TypeError, AttributeError):
            columns = cls.of_profiles([OrganizationProfile.model_validate(d) for d in documents])
            columns.reliability = [d.get("reliability") for d in documents]
        return columns

    @classmethod
    def _read(cls, documents: Sequence[Document]) -> ProfileColumns:
        return cls(
            ids=[d["organization_id"] for d in documents],
            networks=[d["network_id"] for d in documents],
            names=[d["name"] for d in documents],
            missions=[d.get("mission", "") for d in documents],
            focus=[d.get("focus_areas", []) + d.get("free_tags", []) for d in documents],
            values=[d.get("values", []) for d in documents],
            offers=[[r["kind"] for r in d.get("offers", ())] for d in documents],
            needs=[[r["kind"] for r in d.get("needs", ())] for d in documents],
            populations=[d.get("populations_served", []) for d in documents],
            regions=[d.get("region", "") for d in documents],
            time_zones=[d.get("time_zone", "UTC") for d in documents],
            availability=[
                tuple((w["day"], w["start"], w["end"]) for w in d.get("availability", ()))
                for d in documents
            ],
            virtual=[d.get("virtual_ready", False) for d in documents],
            open=[d.get("open_to_other_networks", False) for d in documents],
            archived=[d.get("archived", False) for d in documents],
            reliability=[d.get("reliability") for d in documents],
        )

    def check(self) -> None:
        """The types the index relies on, column by column (not a model per row)."""
        text = (self.ids, self.networks, self.names, self.missions, self.regions)
        if not all(type(v) is str for column in (*text, self.time_zones) for v in column):
            raise TypeError("a text field is not text")
        for column in self.labels().values():
            if not all(type(v) is str for values in column for v in values):
                raise TypeError("a label is not text")
        for window in self.availability:
            if not all(type(v) is str for w in window for v in w):
                raise TypeError("an availability window is not text")
        if not all(type(v) is bool for c in (self.virtual, self.open, self.archived) for v in c):
            raise TypeError("a flag is not true or false")
        if not all(v is None or type(v) in (int, float) for v in self.reliability):
            raise TypeError("a reliability is not a number")
