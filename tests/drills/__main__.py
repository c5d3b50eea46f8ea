"""Fault drills (`make drills`): each drill starts an embedded stack of its own under the
runner's supervision, registers organizations through GraphQL at a steady rate, does its
damage a third of the way in, waits for the stack to settle, and audits every request:

- accepted: answered with the organization;
- effects: accepted registrations with exactly one effect of each kind downstream (a welcome
  and an operator note in notifications, a profile in matching and in commitments);
- lost: accepted, with an effect missing (or the organization itself gone from intake);
  duplicated: an effect more than once;
- told-failed-but-written: finally answered with an error, yet the organization exists;
- recovery s: from the damage to the first answer accepted for a request sent after it;
- breaches (security drills): answers the contract forbids (tests/drills/security.py).

The client retries as the README says: a refused connection or an answer marked retryable is
sent again with the same Idempotency-Key, for up to a minute.

    python -m tests.drills [--only broker-kill,fuzz] [--quick] [--list]"""

from __future__ import annotations

import argparse
import signal
import time

from rich.table import Table

from tests.drills import clock, faults, fuzzing, overload, replicas, resources, security, soak
from tests.drills.harness import DrillRun, Options, console, fault_drill

DRILLS: dict[str, DrillRun] = {
    "baseline": fault_drill(None),
    **{f"{s}-kill": fault_drill(faults.kill(s)) for s in ("gateway", "intake")},
    **{f"{s}-kill": fault_drill(faults.kill(s)) for s in ("matching", "commitments")},
    "notifications-kill": fault_drill(faults.kill("notifications")),
    "broker-kill": fault_drill(faults.kill("broker")),
    # the session stack's 3 s sessions (tests/conftest.py): a rejoin as quick as theirs
    "broker-kill-then-rebalance": fault_drill(
        faults.broker_lost_then_rebalanced, kafka_session_timeout_ms=3_000
    ),
    "store-kill": fault_drill(faults.kill("mongo")),
    "killed-in-transaction-then-store-restart": fault_drill(
        faults.killed_in_transaction_then_store_restart
    ),
    "consumer-sigstop-30s": fault_drill(faults.pause("notifications", 30.0), health_failures=1000),
    # the broker stopped for the outage (60 s) with restarts held off: readiness must hold
    "broker-sigstop-ready": fault_drill(faults.broker_stopped_while_ready, health_failures=1000),
    "store-jammed": fault_drill(faults.jammed("mongo", 60.0)),
    "kafka-unreachable": fault_drill(faults.kafka_unreachable, proxy=True),
    "duplicate-deliveries-10pct": fault_drill(faults.duplicate_deliveries(0.10)),
    "relay-killed-before-publish": fault_drill(faults.relay_killed_before_publish, proxy=True),
    "poison-every-topic": fault_drill(faults.poison_every_topic),
    "sigterm-during-load": fault_drill(faults.kill("matching", signal.SIGTERM)),
    "two-replicas": replicas.two_replicas,
    "twice-capacity": overload.twice_capacity,
    "isolation-matrix": security.isolation,
    "roles-matrix": security.roles,
    "fuzz": fuzzing.fuzz,
    "webhook-replay": security.webhook_replay,
    "rate-limit": security.rate_limit,
    "gateway-open-files-scarce": fault_drill(faults.scarce_file_descriptors("gateway")),
    "intake-open-files-scarce": fault_drill(faults.scarce_file_descriptors("intake")),
    "matching-memory-capped": fault_drill(faults.scarce_memory("matching")),
    # no headroom: notifications' next allocation of a new arena fails under the load
    "notifications-memory-capped": fault_drill(faults.scarce_memory("notifications", 0)),
    **clock.DRILLS,
    **resources.DRILLS,
    "soak-5min": soak.soak_drill,
}
COLUMNS = ["sent", "accepted", "effects", "lost", "duplicated", "told-failed-but-written"]
COLUMNS += ["recovery s", "breaches", "clock faults", "urgent s"]
URGENT_WITHIN_SECONDS = 5.0  # an early warning behind a burst (issue 26, item 5)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    defaults = Options()
    parser.add_argument("--rate", type=float, default=defaults.rate, help="registrations/s")
    parser.add_argument("--seconds", type=float, default=defaults.seconds, help="of load")
    parser.add_argument("--settle", type=float, default=defaults.settle)
    parser.add_argument("--settle-cap", type=float, default=defaults.settle_cap)
    parser.add_argument(
        "--outage", type=float, default=defaults.outage, help="Kafka down, overload (s)"
    )
    parser.add_argument("--fuzz-cases", type=int, default=defaults.fuzz_cases)
    parser.add_argument("--fuzz-budget", type=float, default=defaults.fuzz_budget, help="s")
    parser.add_argument(
        "--quick", action="store_true", help="short trials: 15 s outage and overload, 500 fuzz"
    )
    parser.add_argument("--only", default="", help="comma-separated drill names")
    parser.add_argument("--list", action="store_true", help="print the drill names")
    parser.add_argument("--keep", action="store_true", help="keep each drill's data and logs")
    args = parser.parse_args()
    if args.list:
        print("\n".join(DRILLS))
        return 0
    options = Options(
        args.rate, args.seconds, args.settle, args.outage, args.fuzz_cases, args.fuzz_budget
    )
    options.keep, options.settle_cap = args.keep, args.settle_cap
    if args.quick:
        options.outage, options.fuzz_cases = 15.0, 500
    wanted = [name for name in args.only.split(",") if name]
    unknown = set(wanted) - DRILLS.keys()
    if unknown:
        parser.error(f"no drill named {', '.join(sorted(unknown))}; --list names them")
    chosen = [d for d in DRILLS if not wanted or d in wanted]
    table = Table(title="Fault and security drills")
    for column in ["drill", *COLUMNS]:
        table.add_column(column)
    failed = False
    notes: list[str] = []
    began = time.monotonic()
    for name in chosen:
        console.print(f"[bold]{name}[/]: starting a stack of its own …")
        try:
            row, drill_notes = DRILLS[name](name, options)
        except Exception as error:  # one drill that cannot run does not hide the others
            console.print_exception()
            row, drill_notes = {"sent": f"failed: {error!r}"[:80]}, []
            failed = True
        console.print(f"  {row}")
        notes += [f"{name}: {note}" for note in drill_notes]
        values = [str(row.get(column, "-")) for column in COLUMNS]
        bad = any(
            str(row.get(c, "0")) not in ("0", "-")
            for c in ("lost", "duplicated", "told-failed-but-written", "breaches", "clock faults")
        )
        urgent = str(row.get("urgent s", "-"))
        bad |= urgent == "never" or (urgent != "-" and float(urgent) > URGENT_WITHIN_SECONDS)
        failed |= bad
        table.add_row(name, *values, style="red" if bad else None)
    console.print(table)
    for note in notes:
        console.print(f"- {note}")
    console.print(f"{len(chosen)} drills in {(time.monotonic() - began) / 60:.1f} min")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
