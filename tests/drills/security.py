"""The security drills, in the same table as the faults: the tenant-isolation and roles
matrices (tests/support/isolation.py, tests/support/roles.py), fuzzing (tests/drills/fuzzing.py),
a replayed webhook delivery, and the rate limit. Their columns read:

- sent: probes; accepted: answered with data (or, for webhooks, verified);
- effects: answered exactly as the contract says;
- told-failed-but-written: refused writes that were written all the same (rate limit);
- breaches: answers the contract forbids (a leak, a refusal let through, INTERNAL or a 5xx,
  a stack trace, a replay verified, a rate exceeded)."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from typing import Any
from unittest import mock

import httpx
from standardwebhooks import Webhook

from tests.drills.harness import Options, Row, registration, supervised_stack, written
from tests.support.isolation import make_network_b, run_matrix
from tests.support.organizations import register
from tests.support.partnerships import form
from tests.support.receiver import Receiver
from tests.support.roles import CASES, OK, ROLES, answers, make_world
from tests.support.stack import Client, create_network
from tests.support.wait import eventually

SECURE: dict[str, Any] = {"webhook_allow_loopback": True}


def row(sent: int, accepted: int, effects: int, breaches: int, **more: Any) -> Row:
    return {
        "sent": sent,
        "accepted": accepted,
        "effects": effects,
        "lost": "-",
        "duplicated": "-",
        "told-failed-but-written": more.get("told_failed_but_written", "-"),
        "recovery s": more.get("recovery", "-"),
        "breaches": breaches,
    }


def isolation(name: str, options: Options) -> tuple[Row, list[str]]:
    with supervised_stack(name, options, **SECURE) as drill:
        matrix = run_matrix(drill.stack, make_network_b(drill.stack))
        drill.note(
            f"{len(matrix.checked)} operations with ids x 2 callers of another network; "
            f"not NOT_FOUND: {matrix.failures[:3]}; B changed: {matrix.changed}"
        )
        breaches = len(matrix.failures) + len(matrix.changed)
        return row(matrix.calls, 0, matrix.calls - len(matrix.failures), breaches), drill.notes


def roles(name: str, options: Options) -> tuple[Row, list[str]]:
    with supervised_stack(name, options, **SECURE) as drill:
        world = make_world(drill.stack)
        sent = accepted = expected = 0
        wrong = []
        for operation, (_, _, contract) in sorted(CASES.items()):
            got = answers(world, operation)
            sent += len(ROLES)
            accepted += sum(answer == OK for answer in got.values())
            expected += sum(got[role] == contract[role] for role in ROLES)
            wrong += [(operation, role, got[role]) for role in ROLES if got[role] != contract[role]]
        drill.note(f"{len(CASES)} mutations x {len(ROLES)} roles; unexpected: {wrong}")
        return row(sent, accepted, expected, len(wrong)), drill.notes


class Later(datetime):
    """The verifier's clock, moved forward: a captured delivery replayed this much later."""

    shift = timedelta(0)

    @classmethod
    def now(cls, tz: Any = None) -> Later:
        moved = datetime.now(tz) + cls.shift
        return cls.fromtimestamp(moved.timestamp(), tz)


def verifies(secret: str, body: bytes, headers: dict[str, str], later: timedelta) -> bool:
    Later.shift = later
    with mock.patch("standardwebhooks.webhooks.datetime", Later):
        try:
            Webhook(secret).verify(body, headers)
        except Exception:
            return False
    return True


def webhook_replay(name: str, options: Options) -> tuple[Row, list[str]]:
    """A real delivery captured by a receiver, then replayed to a Standard Webhooks verifier:
    as it came (must verify), and later with its old timestamp, with the timestamp forged to
    now or to the future, and with the body changed (none may verify)."""
    with supervised_stack(name, options, **SECURE) as drill:
        network = create_network(drill.stack)
        operator = Client(drill.stack.graphql_url, network["operatorToken"])
        a = register(operator, network["networkId"], "Replay Pantry")
        b = register(operator, network["networkId"], "Replay Library")
        admin = operator.as_(a["adminToken"])
        receiver = Receiver()
        try:
            secret = admin.data(
                "mutation($i: RegisterWebhookInput!) { registerWebhook(input: $i) { secret } }",
                {"i": {"url": receiver.url, "organizationId": a["organization"]["id"]}},
            )["registerWebhook"]["secret"]
            receiver.secret = secret
            ids = [a["organization"]["id"], b["organization"]["id"]]
            partnership = form(operator, "Replay partners", ids)["id"]
            operator.data(
                "mutation($i: ReachMilestoneInput!) { reachMilestone(input: $i) { id } }",
                {"i": {"partnershipId": partnership, "title": "Replayed"}},
            )
            eventually(lambda: receiver.raw, timeout=60)
        finally:
            receiver.close()
        body, headers = receiver.raw[0]
        now = str(int(time.time()))
        future = str(int(time.time()) + 3600)
        cases = {
            "as delivered": (body, headers, timedelta(0), True),
            **{
                f"replayed {label} later": (body, headers, shift, False)
                for label, shift in (
                    ("6 min", timedelta(minutes=6)),
                    ("1 h", timedelta(hours=1)),
                    ("1 day", timedelta(days=1)),
                )
            },
            "timestamp forged to now, 1 h later": (
                body,
                {**headers, "webhook-timestamp": now},
                timedelta(hours=1),
                False,
            ),
            "timestamp forged to the future": (
                body,
                {**headers, "webhook-timestamp": future},
                timedelta(0),
                False,
            ),
            "body changed": (b" " + body, headers, timedelta(0), False),
        }
        got = {label: verifies(secret, *case[:3]) for label, case in cases.items()}
        wrong = [label for label, case in cases.items() if got[label] != case[3]]
        drill.note(
            f"a captured delivery and {len(cases) - 1} replays or forgeries; "
            f"verified: {[label for label, ok in got.items() if ok]}; unexpected: {wrong}"
        )
        accepted = sum(got.values())
        return row(len(cases), accepted, len(cases) - len(wrong), len(wrong)), drill.notes


def rate_limit(name: str, options: Options) -> tuple[Row, list[str]]:
    """One operator sends far more than its burst at once; another operator at the same time
    must be unaffected. Once refused, the first sends registrations (refused, so never
    written), then one query every 0.1 s until it is let through again (recovery). The limit
    is set low (5/s, a burst of 20) so that a busy machine's gateway still reaches it."""
    limits: dict[str, Any] = {"gateway_rate_per_second": 5.0, "gateway_rate_burst": 20}
    with supervised_stack(name, options, **SECURE, **limits) as drill:
        stack = drill.stack
        rate, burst = stack.settings.gateway_rate_per_second, stack.settings.gateway_rate_burst
        noisy_net, quiet_net = create_network(stack), create_network(stack, name="Quiet")
        result = asyncio.run(flood(stack.graphql_url, noisy_net, quiet_net, count=burst * 4))
        elapsed = result["elapsed"]
        allowed = burst + rate * elapsed
        over = max(0, result["accepted"] - int(allowed))
        refused = result["refused"]
        breaches = over + result["quiet_refused"] + result["other_errors"] + (refused == 0)
        stored = written(stack, [noisy_net["networkId"]])
        wrote = len(set(result["refused_names"]) & stored.keys())
        drill.note(
            f"{result['sent']} operations in {elapsed:.1f} s from one operator "
            f"(burst {burst}, {rate:.0f}/s): {result['accepted']} accepted, {refused} "
            f"LIMIT_EXCEEDED in p50 {result['p50_ms']:.0f} ms / p99 {result['p99_ms']:.0f} ms; "
            f"another operator meanwhile: {result['quiet_refused']} refused of "
            f"{result['quiet_sent']}; {len(result['refused_names'])} registrations refused, "
            f"{wrote} written"
        )
        sent = result["sent"] + result["quiet_sent"] + len(result["refused_names"])
        accepted = result["accepted"] + result["quiet_sent"] - result["quiet_refused"]
        return (
            row(
                sent,
                accepted,
                sent - breaches,
                breaches + wrote,
                told_failed_but_written=wrote,
                recovery=f"{result['recovery']:.1f}",
            ),
            drill.notes,
        )


async def flood(
    url: str, noisy: dict[str, str], quiet: dict[str, str], count: int
) -> dict[str, Any]:
    query = {"query": "query($n: ID!) { network(id: $n) { name } }"}
    noisy_headers = {"authorization": f"Bearer {noisy['operatorToken']}"}
    quiet_headers = {"authorization": f"Bearer {quiet['operatorToken']}"}
    out: dict[str, Any] = {"accepted": 0, "refused": 0, "other_errors": 0, "quiet_refused": 0}
    refusal_ms: list[float] = []
    async with httpx.AsyncClient(timeout=30) as http:

        async def send(headers: dict[str, str], network: str) -> list[str]:
            began = time.monotonic()
            answer = await http.post(
                url, json={**query, "variables": {"n": network}}, headers=headers
            )
            codes = [e["extensions"]["code"] for e in answer.json().get("errors") or []]
            if codes == ["LIMIT_EXCEEDED"]:
                refusal_ms.append((time.monotonic() - began) * 1000)
            return codes

        async def noisy_one() -> None:
            codes = await send(noisy_headers, noisy["networkId"])
            if not codes:
                out["accepted"] += 1
            elif codes == ["LIMIT_EXCEEDED"]:
                out["refused"] += 1
            else:
                out["other_errors"] += 1

        async def quiet_one() -> None:
            await asyncio.sleep(0.05)
            codes = await send(quiet_headers, quiet["networkId"])
            out["quiet_refused"] += bool(codes)

        gate = asyncio.Semaphore(16)

        async def gated(job: Any) -> None:
            async with gate:
                await job

        began = time.monotonic()
        quiet_jobs = [quiet_one() for _ in range(20)]
        await asyncio.gather(*(gated(noisy_one()) for _ in range(count)), *quiet_jobs)
        out["elapsed"] = time.monotonic() - began
        out["sent"], out["quiet_sent"] = count, len(quiet_jobs)
        refused_names = []
        for i in range(10):  # writes while limited: refused, and so never written
            body = registration(noisy["networkId"], 10_000 + i)
            answer = await http.post(
                url,
                json={
                    "query": "mutation($i: RegisterOrganizationInput!) { "
                    "registerOrganization(input: $i) { organization { id } } }",
                    "variables": {"i": body},
                },
                headers=noisy_headers,
            )
            if answer.json().get("errors"):
                refused_names.append(body["name"])
        out["refused_names"] = refused_names
        limited_at = time.monotonic()
        for _ in range(600):  # a minute at most
            if not await send(noisy_headers, noisy["networkId"]):
                break
            await asyncio.sleep(0.1)
        out["recovery"] = time.monotonic() - limited_at
    ordered = sorted(refusal_ms) or [0.0]
    out["p50_ms"] = ordered[len(ordered) // 2]
    out["p99_ms"] = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return out
