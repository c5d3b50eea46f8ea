"""`commonweave dlq` against the real stack, run as an operator runs it: a poison message and
an event whose handler fails (a fault the test switches on, then off: the bug fixed) land in
the DLQ; replaying the failed one has its effect once, replaying it again none; the poison is
discarded with a reason and leaves the list."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from deploy.cli import app
from deploy.stack import Stack, settings_env
from shared.contracts import MemberRef, OrganizationProfile, OrganizationRegistered
from tests.support import http
from tests.support.events import produce
from tests.support.wait import eventually

TOPIC = "organization.registered"


def registered(organization_id: str, suffix: str) -> OrganizationRegistered:
    return OrganizationRegistered(
        profile=OrganizationProfile(
            organization_id=organization_id, network_id="net_dlq_test", version=1, name="Dlq Org"
        ),
        admin=MemberRef(
            member_id=f"mem_{suffix}", name="Ann", email=f"{suffix}@x.org", role="ORG_ADMIN"
        ),
        network_name="Test Network",
    )


def cli(stack: Stack, *args: str) -> Any:
    """The command as an operator types it, in this process (a Python start costs seconds on
    a loaded machine); its settings from COMMONWEAVE_* variables, as in a shell."""
    result = CliRunner().invoke(app, ["dlq", *args, "--json"], env=settings_env(stack.settings))
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout or "null")


def set_failing(stack: Stack, subjects: list[str]) -> None:
    response = http.put(
        f"{stack.service_url('notifications')}/faults",
        json={"failing_subjects": subjects},
        headers={"X-Service-Token": stack.settings.service_token.get_secret_value()},
    )
    response.raise_for_status()


def inbox(stack: Stack, member_id: str) -> list[dict[str, Any]]:
    response = http.get(
        f"{stack.service_url('notifications')}/inbox/{member_id}",
        headers={"X-Service-Token": stack.settings.service_token.get_secret_value()},
    )
    response.raise_for_status()
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_a_failed_event_is_replayed_once_and_a_poison_discarded(stack: Stack) -> None:
    suffix = uuid.uuid4().hex[:8]
    organization_id, poison_key = f"org_{suffix}", f"org_poison_{suffix}"
    event = registered(organization_id, suffix)
    set_failing(stack, [organization_id])  # the bug: notifications fails on this organization
    try:
        sent = asyncio.run(produce(stack.settings.kafka_bootstrap, TOPIC, organization_id, event))
        asyncio.run(
            produce(stack.settings.kafka_bootstrap, TOPIC, poison_key, b'{"not": "an event"')
        )

        def letters() -> list[dict[str, Any]] | None:
            found = [
                x for x in cli(stack, "list", "--topic", TOPIC)
                if x["key"] in (organization_id, poison_key)
            ]  # fmt: skip
            failed = [x for x in found if x["key"] == organization_id]
            poison = [x for x in found if x["key"] == poison_key]
            # the poison reaches every consumer of the topic; the failure only notifications
            return found if len(failed) == 1 and len(poison) == 3 else None

        found = eventually(letters, timeout=60, interval=1.0)
    finally:
        set_failing(stack, [])  # the bug fixed
    (failed,) = [x for x in found if x["key"] == organization_id]
    poison = [x for x in found if x["key"] == poison_key]
    assert failed["consumer"] == "notifications"
    assert failed["eventId"] == sent.id and "injected fault" in failed["reason"]
    assert all("unparseable event" in x["reason"] for x in poison)
    assert inbox(stack, event.admin.member_id) == []  # the welcome did not happen

    replayed = cli(stack, "replay", failed["id"])
    assert [x["eventId"] for x in replayed] == [sent.id]
    welcome = eventually(lambda: inbox(stack, event.admin.member_id), timeout=30)
    assert len(welcome) == 1

    # again: the same event id, already processed, has no second effect. A later event on
    # the same key (so the same partition) shows when the replayed copy has been consumed.
    cli(stack, "replay", failed["id"])
    later = registered(organization_id, f"{suffix}b")
    asyncio.run(produce(stack.settings.kafka_bootstrap, TOPIC, organization_id, later))
    eventually(lambda: inbox(stack, later.admin.member_id), timeout=30)
    assert len(inbox(stack, event.admin.member_id)) == 1

    poison_ids = [x["id"] for x in poison]
    cli(stack, "discard", *poison_ids, "--reason", "test poison: not an event")
    pending = {x["id"] for x in cli(stack, "list", "--topic", TOPIC)}
    assert not pending & {failed["id"], *poison_ids}  # replayed and discarded: handled
    everything = {x["id"]: x for x in cli(stack, "list", "--all", "--topic", TOPIC)}
    assert {everything[i]["state"] for i in poison_ids} == {"discarded"}
    assert everything[failed["id"]]["state"] == "replayed"
    shown = cli(stack, "show", poison_ids[0])
    assert shown["body"] == '{"not": "an event"'
    assert "test poison: not an event" in shown["history"][-1]
    assert [x for x in cli(stack, "list", "--reason", "injected fault", "--since", "1h")
            if x["id"] == failed["id"]] == []  # fmt: skip


def test_bad_input_is_refused_naming_the_option(stack: Stack, tmp_path: Path) -> None:
    env = settings_env(stack.settings)
    for args, expected in (
        (["list", "--since", "yesterday"], "--since"),
        (["replay"], "--topic"),
        (["discard", "organization.registered.dlq:0:0", "--reason", " "], "--reason"),
    ):
        result = CliRunner().invoke(app, ["dlq", *args], env=env)
        assert result.exit_code != 0 and expected in result.stderr, (args, result.output)
    # once through the installed command, in a directory without the repository's .env
    done = subprocess.run(
        [sys.executable, "-m", "deploy.cli", "dlq", "show", "organization.registered.dlq:0:99999"],
        env={**os.environ, **env}, cwd=tmp_path, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip
    assert done.returncode == 1 and "no dead letter" in done.stderr, done.stderr
