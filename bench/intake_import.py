"""Survey import at scale: a 50,000-row synthetic neighborhood survey (200 areas, concerns
from the vocabulary and outside it, demographic columns, 1 % bad rows) imported through
GraphQL (gateway -> intake -> the document store, one transaction) against an embedded
stack of its own; then the same file again (answered from the first import), then a second
file that strengthens the needs the first one created.

    python -m bench.intake_import [--rows 50000] [--settle] [--profile docs/profiles]

With `--settle`, each import waits until intake's outbox has sent the previous one's events:
by default the second file is measured while the first file's 3,001 events are still being
relayed and consumed (the relay marks each one sent, matching stores each need, all in the
same document store), which is most of its time on a small machine. With `--profile DIR`,
py-spy records intake's and the document store's CPU (the GIL's holder) during the second file
and prints the functions that held it most (bench._spy)."""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from pymongo import MongoClient

from bench import _spy
from deploy.stack import Stack
from tests.support.stack import Client, create_network, stack_settings

CONCERNS = [
    "mental health", "counseling", "food bank", "hunger", "housing", "eviction", "recycling",
    "parks", "tutoring", "literacy", "jobs", "street lighting", "bus service", "dog parks",
    "noise", "seniors", "after school", "music", "clinic", "potholes",
]  # fmt: skip
PROFILED = ["intake", "mongo"]
AGES = ["", "0-12", "13-17", "18-24", "25-64", "65+"]
POPULATIONS = ["", "families", "youth", "seniors", "renters", "immigrants"]
IMPORT = """
mutation I($net: ID!, $csv: String!) { importSurvey(networkId: $net, csv: $csv) {
  needsCreated needsStrengthened rowsImported rowsRejected } }"""


def synthetic_survey(rows: int, seed: int) -> str:
    rng = random.Random(seed)
    lines = ["area,concern,comment,age_group,population"]
    for i in range(rows):
        area = f"Area {rng.randrange(200)}"
        concern = rng.choice(CONCERNS)
        if i % 100 == 99:
            area = ""  # a bad row: rejected with its row number
        comment = f"Response {i}: {concern} is a problem near {area or 'here'}"
        lines.append(f"{area},{concern},{comment},{rng.choice(AGES)},{rng.choice(POPULATIONS)}")
    return "\n".join(lines) + "\n"


def timed_import(client: Client, network_id: str, csv: str) -> tuple[float, dict[str, Any]]:
    began = time.perf_counter()
    answer: dict[str, Any] = client.data(IMPORT, {"net": network_id, "csv": csv})["importSurvey"]
    return time.perf_counter() - began, answer


def settled(stack: Stack, timeout: float = 300.0) -> float:
    """Seconds until intake's outbox has sent every event (its relay has caught up)."""
    began = time.perf_counter()
    client: MongoClient[dict[str, Any]] = MongoClient(
        stack.settings.mongo_url, directConnection=True
    )
    try:
        outbox = client[stack.settings.database_name("intake")]["outbox"]
        while outbox.count_documents({"sent_at": None}) and time.perf_counter() - began < timeout:
            time.sleep(0.2)
    finally:
        client.close()
    return time.perf_counter() - began


def arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--settle", action="store_true", help="each import after the last's events")
    parser.add_argument("--profile", type=Path, help="py-spy of the second file into this folder")
    return parser


def run(stack: Stack, args: argparse.Namespace) -> None:
    first_file = synthetic_survey(args.rows, seed=1)
    second_file = synthetic_survey(args.rows, seed=2)
    network = create_network(stack, name="Bench Network")
    operator = Client(stack.graphql_url, network["operatorToken"])
    waits: list[float] = []

    def settle() -> None:
        if args.settle:
            waits.append(settled(stack))

    first, answer = timed_import(operator, network["networkId"], first_file)
    settle()
    again, repeated = timed_import(operator, network["networkId"], first_file)
    settle()
    # the strengthening file, the slow one, profiled alone (CPU: the GIL's holder)
    with _spy.spying(stack, PROFILED, args.profile, "survey-second", raw=True, gil=True):
        second, strengthened = timed_import(operator, network["networkId"], second_file)
    settle()
    intake_log = stack.settings.data_dir / "logs" / "intake.log"
    progress = [line for line in intake_log.read_text().splitlines() if "survey import" in line]
    size_mb = len(first_file.encode()) / 1e6
    print(f"survey of {args.rows:,} rows ({size_mb:.1f} MB) through GraphQL:")
    print(f"  first import   {first:6.2f} s  {answer}")
    same = repeated == answer
    print(f"  same file      {again:6.2f} s  (answered from the first import: {same})")
    print(f"  second file    {second:6.2f} s  {strengthened}")
    if waits:
        relayed = ", ".join(f"{w:.1f} s" for w in waits)
        print(f"  (--settle: each import's events relayed after it in {relayed})")
    print(f"  intake log: {len(progress)} survey lines, e.g. {progress[0] if progress else '-'}")
    if args.profile is not None:
        for name in PROFILED:
            print(f"  where {name}'s CPU went in the second file (on the stack / on top):")
            for frame, inclusive, own in _spy.top_frames(
                args.profile / f"survey-second-{name}.txt"
            ):
                print(f"    {inclusive:4.0%} {own:4.0%}  {frame}")


def main() -> None:
    args = arguments().parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        settings = stack_settings(Path(data_dir), log_level="INFO")
        with Stack(settings, report=lambda line: None) as stack:
            run(stack, args)


if __name__ == "__main__":
    main()
