"""Matching at scale: 100,000 synthetic organizations in the index. Top-10 partners for a new
organization and coalitions for a need, vectorised (numpy) against a straightforward
pure-Python loop over every organization in the same run; memory; and the time to load the
read model from SecantusDB (the embedded MongoDB-protocol server) at start-up."""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient

from services.matching.domain.coalitions import coalitions
from services.matching.domain.columns import ProfileColumns
from services.matching.domain.index import ProfileIndex
from services.matching.domain.scoring import top_partners
from services.matching.service import weights_from
from services.matching.store import MongoMatchingUnitOfWork
from shared.contracts import AvailabilityWindow, NeedProfile, OrganizationProfile, Resource
from shared.outbox import Outbox
from shared.settings import Settings
from tests.support.documents import document_store

FOCUS = [f"focus {i}" for i in range(40)]
VALUES = [f"value {i}" for i in range(25)]
KINDS = ["funding", "volunteers", "outreach", "venue", "expertise", "materials", "transport",
         "counseling", "mentoring", "other"]  # fmt: skip
POPULATIONS = [f"population {i}" for i in range(20)]
REGIONS = [f"region {i}" for i in range(50)]
ZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "UTC"]
WORDS = [
    "youth", "education", "health", "food", "housing", "seniors", "recycling", "arts",
    "mentorship", "outreach", "literacy", "jobs", "parks", "water", "safety", "counseling",
    "families", "community", "music",
]  # fmt: skip
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]


def synthetic(i: int, rng: random.Random) -> OrganizationProfile:
    start = rng.randrange(8, 19)
    return OrganizationProfile(
        organization_id=f"org_{i:07d}",
        network_id="net_bench",
        version=1,
        name=f"Organization {i}",
        mission=" ".join(rng.choices(WORDS, k=12)),
        focus_areas=rng.sample(FOCUS, 2),
        values=rng.sample(VALUES, 2),
        offers=[Resource(kind=k) for k in rng.sample(KINDS, 2)],
        needs=[Resource(kind=k) for k in rng.sample(KINDS, 2)],
        region=rng.choice(REGIONS),
        time_zone=rng.choice(ZONES),
        availability=[
            AvailabilityWindow(day=rng.choice(DAYS), start=f"{start}:00", end=f"{start + 3}:00")
        ],
        populations_served=rng.sample(POPULATIONS, 2),
        virtual_ready=rng.random() < 0.3,
    )


# ---- the straightforward baseline: one Python loop over every organization -------------


def tf(text: str) -> Counter[str]:
    return Counter(text.lower().split())


def cosine(a: Counter[str], b: Counter[str]) -> float:
    dot = sum(v * b[k] for k, v in a.items() if k in b)
    na, nb = math.sqrt(sum(v * v for v in a.values())), math.sqrt(sum(v * v for v in b.values()))
    return dot / (na * nb) if na and nb else 0.0


def dice(a: set[str], b: set[str]) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a or b else 0.0


def naive_top(profiles: list[OrganizationProfile], me: OrganizationProfile, k: int) -> list[str]:
    w = weights_from(Settings(_env_file=None))  # the defaults
    mine = tf(me.mission)
    my_needs, my_offers = {r.kind for r in me.needs}, {r.kind for r in me.offers}
    scored = []
    for p in profiles:
        if p.organization_id == me.organization_id or p.network_id != me.network_id:
            continue
        needs, offers = {r.kind for r in p.needs}, {r.kind for r in p.offers}
        shared = (
            0.45 * dice(set(me.focus_areas), set(p.focus_areas))
            + 0.2 * dice(set(me.values), set(p.values))
            + 0.35 * cosine(mine, tf(p.mission))
        )
        give = len(offers & my_needs) / max(len(my_needs), 1)
        take = len(my_offers & needs) / max(len(needs), 1)
        comp = (give + take) / 2
        reach = 1.0 if p.region == me.region else 0.0
        incl = dice(set(me.populations_served), set(p.populations_served))
        total = (w.shared_goals * shared + w.complementarity * comp + w.reach * reach
                 + w.schedule_fit * 0.5 + w.reliability * 0.5 + w.inclusivity * incl)  # fmt: skip
        scored.append((total, p.organization_id))
    scored.sort(reverse=True)
    return [o for _, o in scored[:k]]


def naive_alignment(p: OrganizationProfile, need: NeedProfile) -> float:
    focus_hit = 1.0 if need.focus_area in p.focus_areas else 0.0
    wanted = set(need.affected_populations)
    served = len(wanted & set(p.populations_served)) / max(len(wanted), 1)
    return 0.5 * focus_hit + 0.3 * served + 0.2 * 0.5


def naive_greedy(
    profiles: list[OrganizationProfile], need: NeedProfile, fit: list[float], banned: str | None
) -> list[str]:
    remaining, picked = set(need.required_resources), list[str]()
    while remaining:
        best, value = None, 0.0
        for p, f in zip(profiles, fit, strict=True):
            if p.network_id != need.network_id or p.organization_id in (banned, *picked):
                continue
            gain = len({r.kind for r in p.offers} & remaining)
            if gain and gain * (0.5 + f) > value:
                best, value = p, gain * (0.5 + f)
        if best is None:
            break
        picked.append(best.organization_id)
        remaining -= {r.kind for r in best.offers}
    return picked


def naive_coalition(profiles: list[OrganizationProfile], need: NeedProfile) -> list[list[str]]:
    """The same query as `coalitions`: alignment, weighted greedy cover, one alternative
    without each member of the first."""
    fit = [naive_alignment(p, need) for p in profiles]
    primary = naive_greedy(profiles, need, fit, None)
    return [primary] + [naive_greedy(profiles, need, fit, o) for o in primary]


# ---- measurements ---------------------------------------------------------------------


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[int(0.99 * (len(ordered) - 1))]


def timed(fn: Any, *args: Any) -> float:
    started = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - started) * 1000


@dataclass(frozen=True)
class Load:
    find: float  # the store's `find`, the driver's decoding included
    columns: float  # documents to columns (`ProfileColumns.of_documents`)
    index: float  # columns to the index, missions compacted

    @property
    def total(self) -> float:
        return self.find + self.columns + self.index


async def mongo_load(
    profiles: list[OrganizationProfile], baseline: bool
) -> tuple[Load, Load | None]:
    """Matching's start-up: every profile read from SecantusDB (on disk, as `make run` keeps
    it) as `Matcher.load` reads it (`for_index`: a projection, large batches), then columns
    and the index. `baseline`: also the way it read them before, whole documents in the
    driver's default batches, each validated as a profile, in the same run."""
    with tempfile.TemporaryDirectory() as data, document_store(data) as url:
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url)
        database = client["bench_matching"]
        docs = [{"_id": p.organization_id, **p.model_dump(mode="json")} for p in profiles]
        for i in range(0, len(docs), 5000):
            await database["profiles"].insert_many(docs[i : i + 5000])
        del docs
        uow = MongoMatchingUnitOfWork(Outbox(client, database, source="bench"))
        now = await _load(lambda: uow.profiles.for_index(), ProfileColumns.of_documents)
        before = None
        if baseline:

            def validated(found: list[dict[str, Any]]) -> ProfileColumns:
                whole = [OrganizationProfile.model_validate(d) for d in found]
                return ProfileColumns.of_profiles(whole)

            before = await _load(lambda: database["profiles"].find({}).to_list(), validated)
        await client.close()
        return now, before


async def _load(
    find: Callable[[], Awaitable[list[dict[str, Any]]]],
    to_columns: Callable[[list[dict[str, Any]]], ProfileColumns],
) -> Load:
    started = time.perf_counter()
    found = await find()
    fetched = time.perf_counter()
    columns = to_columns(found)
    read = time.perf_counter()
    index = ProfileIndex.week_of(datetime.now(UTC).date())
    index.put_columns(columns)
    index.mission.compact()
    return Load(fetched - started, read - fetched, time.perf_counter() - read)


def arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--organizations", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--naive-queries", type=int, default=5)
    parser.add_argument("--skip-mongo", action="store_true")
    parser.add_argument(
        "--load-baseline",
        action="store_true",
        help="also load the read model as before (whole documents, a model each)",
    )
    return parser


def run(args: argparse.Namespace) -> None:
    rng = random.Random(7)
    profiles = [synthetic(i, rng) for i in range(args.organizations)]
    before = rss_mb()
    started = time.perf_counter()
    index = ProfileIndex.week_of(datetime.now(UTC).date())
    index.put_many(profiles)
    index.mission.compact()
    build_s = time.perf_counter() - started
    memory = rss_mb() - before

    newcomers = [synthetic(args.organizations + i, rng) for i in range(args.queries)]
    w = weights_from(Settings(_env_file=None))  # the defaults
    fast: list[float] = []
    for p in newcomers:
        index.put(p)
        fast.append(timed(top_partners, index, p.organization_id, w, 10))
    needs = [
        NeedProfile(need_id=f"need_{i}", network_id="net_bench", version=1, title="need",
                    focus_area=rng.choice(FOCUS), area="a", severity=3,
                    required_resources=rng.sample(KINDS, 4),
                    affected_populations=rng.sample(POPULATIONS, 2))
        for i in range(50)
    ]  # fmt: skip
    coalition_ms = [timed(coalitions, index, n) for n in needs]
    everyone = profiles + newcomers
    slow = [timed(naive_top, everyone, p, 10) for p in newcomers[: args.naive_queries]]
    slow_coalition = [timed(naive_coalition, everyone, n) for n in needs[: args.naive_queries]]

    top_ratio = statistics.median(slow) / statistics.median(fast)
    coalition_ratio = statistics.median(slow_coalition) / statistics.median(coalition_ms)
    print(f"matching: {len(index):,} organizations in the index (built in {build_s:.1f}s, "
          f"~{memory:.0f} MB resident for the index)")  # fmt: skip
    print(f"top-10 for a new organization: p50 {statistics.median(fast):.1f} ms, "
          f"p99 {p99(fast):.1f} ms; pure-Python loop p50 {statistics.median(slow):.0f} ms; "
          f"ratio {top_ratio:.0f}x")  # fmt: skip
    print(f"coalition for a need: p50 {statistics.median(coalition_ms):.1f} ms, "
          f"p99 {p99(coalition_ms):.1f} ms; pure-Python loop p50 "
          f"{statistics.median(slow_coalition):.0f} ms; ratio {coalition_ratio:.0f}x")  # fmt: skip
    if not args.skip_mongo:
        now, old = asyncio.run(mongo_load(profiles, args.load_baseline))
        print(f"read model load from SecantusDB at start-up: {now.total:.1f}s for "
              f"{len(profiles):,} (find {now.find:.1f}s, columns {now.columns:.1f}s, "
              f"index {now.index:.1f}s)")  # fmt: skip
        if old is not None:
            print(f"  whole documents, one model each, as before: {old.total:.1f}s (find "
                  f"{old.find:.1f}s, validation {old.columns:.1f}s, index "
                  f"{old.index:.1f}s); ratio {old.total / now.total:.1f}x")  # fmt: skip


def main() -> None:
    run(arguments().parse_args())


if __name__ == "__main__":
    main()
