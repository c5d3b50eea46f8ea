"""The soak (`make soak`, and a five-minute row in `make drills`): a realistic mix at about a
third of capacity on a supervised stack for a long while, sampled every 30 s:

- each process's resident memory and open files, and the data directory's size;
- p50 and p99 of every operation over the interval;
- the consumer groups' lag (committed offsets against the end of each partition).

Partnership writes go to a partnership formed every 200 operations (about 140 in the hour), not
all to the first two; its two organizations join the newcomers' region, and the reads and needs
go to a partnership's region. Newcomers register in regional networks of 60 organizations with eight
kinds of mission (a new network opens when the last is full): one network of thousands of
identical organizations is not what the field does, and it measures matching's growth with a
network's size instead (BENCHMARKS.md, issue 24).

It passes when the services' memory grows at most 10 % after the warm-up (the first sixth;
the broker's and the store's are reported beside, with what bounds them), every operation's
p99 drifts at most 20 % (the mean of the samples' p99 in the last third against the first
third after the warm-up), the lag returns to 0 once the load stops, and the audit finds every
accepted registration's effects exactly once. With `--graphs DIR` it draws the samples as SVG
and keeps them as `soak-samples.json`, which `--judge` reads to judge an hour again.

    python -m tests.drills.soak [--minutes 60] [--rate 8] [--graphs docs]
    python -m tests.drills.soak --judge docs/soak-samples.json [--minutes 60]"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from aiokafka import AIOKafkaConsumer, TopicPartition

from deploy.stack import SERVICES, STORE_CACHE, Stack
from tests.drills.harness import (
    Drill,
    Options,
    Outcome,
    Row,
    audit,
    console,
    registration,
    send_as_a_client_should,
    supervised_stack,
)
from tests.support.organizations import MISSIONS, Regions
from tests.support.stack import Client, create_network

SAMPLE_SECONDS = 30.0
WARM_UP_SHARE = 1 / 6
LAG_SETTLE_SECONDS = 300.0
FORM = "mutation($i: FormPartnershipInput!) { formPartnership(input: $i) { id } }"
WRITES = {
    "need": "mutation($i: ReportNeedInput!) { reportNeed(input: $i) { need { id } } }",
    "commitment": "mutation($i: MakeCommitmentInput!) { makeCommitment(input: $i) { id } }",
    "check-in": "mutation($i: RecordCheckInInput!) { recordCheckIn(input: $i) { id } }",
    "contribution": "mutation($i: LogContributionInput!) { logContribution(input: $i) { id } }",
    "feedback": "mutation($i: SubmitFeedbackInput!) { submitFeedback(input: $i) { id } }",
}
READ = (
    """query($n: ID!) { organizations(networkId: $n, first: 20) { edges { node { id name } } } }"""
)
MATCHES = """query($o: ID!) { matches(organizationId: $o) { edges { node { id status } } } }"""
ANSWER = """mutation($m: ID!) { respondToMatch(matchId: $m, decision: ACCEPT) { id } }"""
# The embedded stand-ins' memory is reported, not judged by the 10 % rule: it is bounded (or
# not) by the stand-in, where production's Kafka and MongoDB bound it by configuration.
STAND_INS = {
    "broker": "Tansu keeps every message in memory and has no retention and no DeleteRecords"
    " (Kafka's retention bounds this in production)",
    "mongo": f"WiredTiger's cache fills up to its bound, {STORE_CACHE} (the store's --cache-size)",
}
PARTNERSHIP_EVERY = 200  # operations between two partnerships formed
NETWORK_SIZE = 60  # organizations a regional network reaches before the next one opens
# operation -> share of the mix
MIX = {"register": 0.3, "read": 0.25, "need": 0.08, "commitment": 0.1, "check-in": 0.1}
MIX |= {"contribution": 0.07, "feedback": 0.05, "match": 0.05}


@dataclass
class Sample:
    at: float  # seconds since the load began
    rss_mb: dict[str, float]
    open_files: dict[str, int]
    data_mb: float
    latency_ms: dict[str, tuple[float, float]]  # operation -> (p50, p99) over the interval
    lag: int


@dataclass
class Soak:
    drill: Drill
    seconds: float
    rate: float
    samples: list[Sample] = field(default_factory=list)  # under load
    settling: list[Sample] = field(default_factory=list)  # after it, until the lag is 0
    timings: list[tuple[float, str, float]] = field(default_factory=list)  # at, op, ms
    lock: threading.Lock = field(default_factory=threading.Lock)

    def timed(self, operation: str, began: float, call: Callable[[], Any]) -> Any:
        sent = time.monotonic()
        answer = call()
        with self.lock:
            self.timings.append((sent - began, operation, (time.monotonic() - sent) * 1000))
        return answer


def process_figures(stack: Stack) -> tuple[dict[str, float], dict[str, int]]:
    rss: dict[str, float] = {}
    files: dict[str, int] = {}
    for name, component in stack.components.items():
        if component.process is None or component.process.poll() is not None:
            continue
        status = Path(f"/proc/{component.process.pid}/status").read_text().splitlines()
        kb = next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), 0)
        rss[name] = kb / 1024
        try:
            files[name] = len(list(Path(f"/proc/{component.process.pid}/fd").iterdir()))
        except OSError:
            files[name] = -1
    return rss, files


def directory_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


async def consumer_lag(bootstrap: str) -> int:
    """How many messages the services' consumer groups have not committed, in all, on the
    partitions where a group has committed something (which topics a group reads is not
    asked of the broker: after the warm-up, each has committed on all of its own)."""
    total = 0
    for group in SERVICES:
        probe = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
        await probe.start()
        try:
            partitions = [
                TopicPartition(topic, partition)
                for topic in await probe.topics()
                for partition in probe.partitions_for_topic(topic) or ()
            ]
            committed = {tp: await probe.committed(tp) for tp in partitions}
            read = [tp for tp, offset in committed.items() if offset]
            ends = await probe.end_offsets(read) if read else {}
            total += sum(max(0, ends[tp] - (committed[tp] or 0)) for tp in read)
        finally:
            await probe.stop()
    return total


def percentiles(values: list[float]) -> tuple[float, float]:
    if not values:
        return (0.0, 0.0)
    ordered = sorted(values)
    return statistics.median(ordered), ordered[int(0.99 * (len(ordered) - 1))]


def sample(soak: Soak, began: float, since: float) -> Sample:
    stack = soak.drill.stack
    rss, files = process_figures(stack)
    now = time.monotonic() - began
    with soak.lock:
        recent = [(op, ms) for at, op, ms in soak.timings if since <= at < now]
    latency = {op: percentiles([ms for o, ms in recent if o == op]) for op in MIX}
    try:
        lag = asyncio.run(consumer_lag(stack.settings.kafka_bootstrap))
    except Exception as error:  # the broker may be busy: the sample says so
        console.print(f"  [dim]lag not read: {error}[/]")
        lag = -1
    data = directory_mb(stack.settings.data_dir)
    return Sample(now, rss, files, data, latency, lag)


def run_mix(soak: Soak, outcome: Outcome, network: dict[str, str]) -> None:
    """The mix in an open loop at `rate` operations a second, each in a thread of its own."""
    stack, rng = soak.drill.stack, random.Random(11)
    admins: list[tuple[str, Client]] = []  # (organization id, its admin)
    partnerships: list[Partnership] = []
    regions = Regions(
        stack, network, NETWORK_SIZE, lambda opened: outcome.network_ids.append(opened["networkId"])
    )

    def region_of(count: int) -> tuple[str, Client]:
        """The network `count` newcomers join, and its operator (who registers them)."""
        joined = regions.for_newcomers(count)
        return joined["networkId"], Client(stack.graphql_url, joined["operatorToken"])

    def form_partnership(n: int) -> None:
        """Two organizations registered in the newcomers' region and a partnership of theirs
        formed: partnership writes spread over more of them as the hour goes on, rather than
        thousands of check-ins on one partnership, and no network outgrows the regions' size
        (the hour at 02:46 grew its first network to about 290, and the reads of it drifted)."""
        region, operator = region_of(2)
        pair = []
        for i in (2 * n, 2 * n + 1):
            body = registration(region, 1_000_000 + i)
            data = operator.data(
                "mutation($i: RegisterOrganizationInput!) { registerOrganization(input: $i) "
                "{ adminToken organization { id } } }",
                {"i": body},
            )["registerOrganization"]
            pair.append((data["organization"]["id"], operator.as_(data["adminToken"])))
        (first, admin), (second, _) = pair
        formed = admin.data(
            FORM, {"i": {"name": f"Soak {first}", "organizationIds": [first, second]}}
        )
        admins.extend(pair)
        partnerships.append(
            Partnership(formed["formPartnership"]["id"], first, admin, region, operator)
        )

    for n in range(2):
        form_partnership(n)
    operations, weights = list(MIX), list(MIX.values())
    began = time.monotonic()
    count = int(soak.rate * soak.seconds)
    threads: list[threading.Thread] = []

    def one(i: int, operation: str) -> None:
        if i and i % PARTNERSHIP_EVERY == 0:
            try:
                form_partnership(1 + i // PARTNERSHIP_EVERY)
            except Exception as error:  # the mix goes on with the partnerships it has
                console.print(f"  [yellow]partnership not formed: {error}[/]")
        if operation == "register":
            region, its_operator = region_of(1)
            body = registration(region, i) | {"mission": MISSIONS[i % len(MISSIONS)]}
            outcome.sent += 1
            key = f"{region}-{i}"
            answer = soak.timed(
                operation, began, lambda: send_as_a_client_should(its_operator, body, key)
            )
            if answer.get("data"):
                organization = answer["data"]["registerOrganization"]["organization"]
                outcome.accepted[body["name"]] = organization["id"]
            else:
                outcome.refused.add(body["name"])
            return
        chosen = rng.choice(partnerships)
        pid, org, admin = chosen.partnership_id, chosen.organization_id, chosen.admin
        region, operator = chosen.network_id, chosen.operator
        if operation == "read":  # the first page of a regional network
            soak.timed(operation, began, lambda: operator.execute(READ, {"n": region}))
        elif operation == "match":
            org_id, member = rng.choice(admins)

            def answer_one() -> None:
                found = member.execute(MATCHES, {"o": org_id}).get("data") or {}
                edges = (found.get("matches") or {}).get("edges") or []
                open_ = [e["node"]["id"] for e in edges if e["node"]["status"] == "SUGGESTED"]
                if open_:
                    member.execute(ANSWER, {"m": open_[0]})

            soak.timed(operation, began, answer_one)
        else:
            variables = write_input(operation, i, pid, org, region)
            client = operator if operation == "need" else admin
            soak.timed(
                operation, began, lambda: client.execute(WRITES[operation], {"i": variables})
            )

    for i in range(count):
        time.sleep(max(0.0, i / soak.rate - (time.monotonic() - began)))
        operation = rng.choices(operations, weights)[0]
        thread = threading.Thread(target=one, args=(i, operation), daemon=True)
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()


@dataclass(frozen=True)
class Partnership:
    """One the mix writes to: its id, one partner and that partner's admin, and the regional
    network with its operator (who reads it and reports its needs)."""

    partnership_id: str
    organization_id: str
    admin: Client
    network_id: str
    operator: Client


def write_input(operation: str, i: int, pid: str, org: str, network_id: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    if operation == "need":
        return {
            "networkId": network_id,
            "title": f"Soak need {i}",
            "focusArea": "education",
            "area": "Westside",
            "severity": 1 + i % 5,
        }
    if operation == "commitment":
        due = (now + timedelta(days=14)).isoformat()
        return {
            "partnershipId": pid,
            "ownerOrganizationId": org,
            "title": f"Task {i}",
            "dueAt": due,
        }
    if operation == "check-in":
        return {"partnershipId": pid, "heldAt": now.isoformat(), "updates": ["on track"]}
    if operation == "contribution":
        return {
            "partnershipId": pid,
            "organizationId": org,
            "kind": "VOLUNTEER_HOURS",
            "quantity": 2,
            "unit": "hours",
        }
    return {"partnershipId": pid, "rating": 1 + i % 5, "comment": "soak"}


def verdict(soak: Soak) -> tuple[dict[str, str], list[str]]:
    """The pass criteria, each with what was measured."""
    samples = [s for s in soak.samples if s.at >= soak.seconds * WARM_UP_SHARE] or soak.samples
    first, last = samples[0], samples[-1]
    growth = {
        name: (last.rss_mb[name] - first.rss_mb[name]) / first.rss_mb[name]
        for name in first.rss_mb
        if name in last.rss_mb and first.rss_mb[name] > 0
    }
    ours = {name: g for name, g in growth.items() if name not in STAND_INS}
    worst = max(ours.items(), key=lambda item: item[1], default=("-", 0.0))
    third = max(1, len(samples) // 3)

    def p99_of(part: list[Sample], operation: str) -> float:
        return statistics.mean(
            s.latency_ms[operation][1] for s in part if operation in s.latency_ms
        )

    drifts: dict[str, tuple[float, float, float]] = {}  # operation -> early, late, drift
    for operation in MIX:
        if all(operation in s.latency_ms for s in (samples[0], samples[-1])):
            early = p99_of(samples[:third], operation)
            late = p99_of(samples[-third:], operation)
            drifts[operation] = (early, late, (late - early) / early if early else 0.0)
    drifted = sorted(op for op, (_, _, drift) in drifts.items() if drift > 0.20)
    lags = [s.lag for s in soak.samples + soak.settling]
    checks = {
        "memory": f"{worst[0]} +{worst[1]:.0%} (≤ 10 %; the most any service grew)",
        **{
            f"{name}'s memory": f"{last.rss_mb[name]:.0f} MB, {growth[name]:+.0%}: {why}"
            for name, why in STAND_INS.items()
            if name in growth
        },
        **{
            f"p99 drift of {op}": f"{early:.0f} → {late:.0f} ms ({drift:+.0%}, ≤ 20 %)"
            for op, (early, late, drift) in drifts.items()
        },
        "lag at the end": f"{lags[-1] if lags else '-'} (max {max(lags, default=0)})",
        "data directory": f"{samples[0].data_mb:.0f} → {samples[-1].data_mb:.0f} MB",
    }
    failed = []
    if worst[1] > 0.10:
        failed.append("memory")
    failed += [f"p99 drift of {op}" for op in drifted]
    if not lags or lags[-1] != 0:
        failed.append("lag at the end")
    return checks, failed


def graphs(soak: Soak, directory: Path) -> list[Path]:
    import pygal  # the dashboard's chart library

    directory.mkdir(parents=True, exist_ok=True)
    minutes = [f"{s.at / 60:.0f}" for s in soak.samples]
    drawn = []
    for name, title, series in (
        ("soak-rss.svg", "Resident memory (MB)", lambda s: s.rss_mb),
        (
            "soak-p99.svg",
            "p99 per operation (ms)",
            lambda s: {k: v[1] for k, v in s.latency_ms.items()},
        ),
    ):
        chart = pygal.Line(title=title, x_title="minutes", x_labels=minutes, show_dots=False)
        keys = sorted({k for s in soak.samples for k in series(s)})
        for key in keys:
            chart.add(key, [series(s).get(key) for s in soak.samples])
        chart.render_to_file(str(directory / name))
        drawn.append(directory / name)
    chart = pygal.Line(title="Consumer lag and data directory", x_title="minutes", x_labels=minutes)
    chart.add("lag (messages)", [s.lag for s in soak.samples])
    chart.add("data (MB)", [s.data_mb for s in soak.samples], secondary=True)
    chart.render_to_file(str(directory / "soak-lag.svg"))
    drawn.append(directory / "soak-lag.svg")
    return drawn


def soak_drill(name: str, options: Options) -> tuple[Row, list[str]]:
    row, notes, _ = run_soak(name, options)
    return row, notes


def run_soak(
    name: str, options: Options, graphs_to: Path | None = None
) -> tuple[Row, list[str], list[str]]:
    """The audit's row, the notes (each check with its figure), and the checks that failed."""
    with supervised_stack(name, options) as drill:
        soak = Soak(drill, options.soak_minutes * 60, options.soak_rate)
        network = create_network(drill.stack)
        outcome = Outcome([network["networkId"]])
        began = time.monotonic()
        stop = threading.Event()

        def sampler() -> None:
            since = 0.0
            while not stop.wait(SAMPLE_SECONDS):
                soak.samples.append(sample(soak, began, since))
                since = soak.samples[-1].at
                last = soak.samples[-1]
                console.print(
                    f"  [dim]{name} {last.at / 60:4.1f} min: lag {last.lag}, data "
                    f"{last.data_mb:.0f} MB, register p99 "
                    f"{last.latency_ms['register'][1]:.0f} ms, RSS "
                    + " ".join(f"{n} {mb:.0f}" for n, mb in last.rss_mb.items())
                    + "[/]"
                )

        watcher = threading.Thread(target=sampler, daemon=True)
        watcher.start()
        run_mix(soak, outcome, network)
        stop.set()
        watcher.join()
        settle_until = time.monotonic() + LAG_SETTLE_SECONDS
        while time.monotonic() < settle_until:  # the backlog worked off
            soak.settling.append(sample(soak, began, time.monotonic() - began))
            if soak.settling[-1].lag == 0:
                break
            time.sleep(5)
        # The verdict and the graphs before the audit, which reads every accepted
        # registration's effects and can take minutes after an hour: an hour's samples are
        # not lost to an audit that is stopped.
        checks, failed = verdict(soak)
        for check, figure in checks.items():
            drill.note(f"{check}: {figure}{'  FAILED' if check in failed else ''}")
        if graphs_to is not None:
            drill.note("graphs: " + ", ".join(str(p) for p in graphs(soak, graphs_to)))
            kept = graphs_to / "soak-samples.json"  # to judge or draw the hour again
            kept.write_text(json.dumps([asdict(s) for s in soak.samples + soak.settling]))
        row = audit(drill, outcome)
        return row, drill.notes, failed


def judge_again(kept: Path, seconds: float) -> int:
    """The verdict on samples a soak kept (`soak-samples.json`)."""
    rows = json.loads(kept.read_text())
    samples = [
        Sample(**{**row, "latency_ms": {k: tuple(v) for k, v in row["latency_ms"].items()}})
        for row in rows
    ]
    soak = Soak(cast(Drill, None), seconds, rate=0.0)
    soak.samples = [s for s in samples if s.at <= seconds]
    soak.settling = [s for s in samples if s.at > seconds]
    checks, failed = verdict(soak)
    for check, figure in checks.items():
        console.print(f"  {check}: {figure}{'  FAILED' if check in failed else ''}")
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=8.0, help="operations a second")
    parser.add_argument("--graphs", type=Path, default=None, help="a directory for the SVGs")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--judge", type=Path, help="judge kept samples; runs nothing")
    args = parser.parse_args()
    if args.judge is not None:
        return judge_again(args.judge, args.minutes * 60)
    options = Options(soak_minutes=args.minutes, soak_rate=args.rate, keep=args.keep)
    row, notes, failed = run_soak("soak", options, args.graphs)
    console.print(row)
    for note in notes:
        console.print(f"  {note}")
    exact = row["lost"] == 0 and row["duplicated"] == 0 and row["told-failed-but-written"] == 0
    return 0 if exact and not failed else 1


if __name__ == "__main__":
    raise SystemExit(main())
