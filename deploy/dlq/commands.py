"""`commonweave dlq`: list, show, replay and discard dead letters (see docs/operations.md)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated, Any, TypeVar

import typer
from aiokafka.errors import KafkaError
from pymongo.errors import PyMongoError
from rich.console import Console
from rich.table import Table

from deploy.dlq.ledger import Ledger, describe, operations_database, state_of
from deploy.dlq.letters import DeadLetter, LetterNotFound, find_letters, publish_again, read_letters
from deploy.dlq.selection import parse_since, select
from shared.events import utcnow
from shared.mongo import mongo_client
from shared.settings import Settings

dlq_app = typer.Typer(
    help="Dead letters: list, show, replay to their topic, or discard with a reason.",
    no_args_is_help=True,
)
console = Console(stderr=True, soft_wrap=True)
log = logging.getLogger("commonweave.dlq")
T = TypeVar("T")

AsJson = Annotated[bool, typer.Option("--json", help="Print JSON only")]


def _run(work: Callable[[Settings, Ledger], Awaitable[T]]) -> T:
    """Runs one command against the stack of the settings (`.env`, COMMONWEAVE_*)."""
    settings = Settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s dlq %(message)s")
    logging.getLogger("aiokafka").setLevel(logging.WARNING)

    async def main() -> T:
        client = mongo_client(settings)
        try:
            ledger = Ledger(operations_database(client, settings.db_prefix))
            await ledger.ensure_indexes()
            return await work(settings, ledger)
        finally:
            await client.close()

    try:
        return asyncio.run(main())
    except LetterNotFound as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    except (KafkaError, PyMongoError, OSError, TimeoutError) as exc:
        console.print(
            f"[red]error:[/] the broker ({settings.kafka_bootstrap}) or the store is not "
            f"reachable: {exc!r}; is the stack running?"
        )
        raise typer.Exit(1) from None


def _print_json(value: Any) -> None:
    print(json.dumps(value, default=str, indent=2))


@dlq_app.command("list")
def list_letters(
    topic: Annotated[str | None, typer.Option(help="Only this topic (or its .dlq)")] = None,
    since: Annotated[
        str | None, typer.Option(help="Only letters since: 30m, 2h, 7d, or an ISO-8601 time")
    ] = None,
    reason: Annotated[str | None, typer.Option(help="Only reasons containing this text")] = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="Also letters already replayed or discarded")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Dead letters waiting for a decision, oldest first."""
    try:
        after = parse_since(since, utcnow()) if since else None
    except ValueError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None

    async def work(settings: Settings, ledger: Ledger) -> list[dict[str, Any]]:
        letters = await read_letters(settings, [topic] if topic else ())
        chosen = select(letters, topic=topic, since=after, reason=reason)
        history = await ledger.history(chosen)
        rows = [
            {**letter.summary(), "state": state_of(history[letter.ledger_key])} for letter in chosen
        ]
        return [row for row in rows if show_all or row["state"] == "pending"]

    rows = _run(work)
    if as_json:
        _print_json(rows)
        return
    table = Table("id", "when", "consumer", "event", "reason", "state", title="Dead letters")
    for row in rows:
        event = f"{row['eventType'] or '?'} {row['eventId'] or ''}".strip()
        table.add_row(
            row["id"], row["at"][:19], row["consumer"], event, row["reason"][:80], row["state"]
        )
    Console(soft_wrap=True).print(table)
    console.print(f"{len(rows)} letter(s)")


@dlq_app.command()
def show(
    letter_id: Annotated[str, typer.Argument(help="topic.dlq:partition:offset")],
    as_json: AsJson = False,
) -> None:
    """One letter: headers, key, body, and what was done with it."""

    async def work(settings: Settings, ledger: Ledger) -> dict[str, Any]:
        (letter,) = await find_letters(settings, [letter_id])
        history = (await ledger.history([letter]))[letter.ledger_key]
        return {
            **letter.detail(),
            "state": state_of(history),
            "history": [describe(entry) for entry in history],
        }

    detail = _run(work)
    if as_json:
        _print_json(detail)
        return
    out = Console(soft_wrap=True)
    for name in ("id", "topic", "at", "consumer", "eventType", "eventId", "key", "state", "reason"):
        out.print(f"[bold]{name:<10}[/] {detail[name]}")
    out.print("[bold]headers[/]")
    for name, value in detail["headers"].items():
        out.print(f"  {name}: {value}")
    out.print("[bold]body[/]")
    if isinstance(detail["body"], str):  # not JSON: as it is
        out.print(detail["body"], markup=False)
    else:
        out.print_json(json.dumps(detail["body"]))
    for line in detail["history"]:
        out.print(f"[bold]history[/]  {line}")


def _replayable(letters: list[DeadLetter], keep: timedelta, force: bool) -> list[DeadLetter]:
    """A letter older than the time consumers keep processed ids may be processed again by
    the groups that did process it: that takes --force."""
    oldest = utcnow() - keep
    stale = [letter.id for letter in letters if letter.timestamp < oldest]
    if stale and not force:
        console.print(
            f"[red]error:[/] {stale[0]} is older than {keep} (how long consumers remember "
            "processed events): other consumer groups could process it a second time. "
            "Check, then replay with --force."
        )
        raise typer.Exit(1)
    return letters


@dlq_app.command()
def replay(
    letter_ids: Annotated[list[str] | None, typer.Argument(help="Letters to replay")] = None,
    topic: Annotated[
        str | None, typer.Option(help="Every pending letter of this topic instead")
    ] = None,
    force: Annotated[bool, typer.Option(help="Replay letters older than the dedup window")] = False,
    as_json: AsJson = False,
) -> None:
    """Publishes letters again to the topic they came from, with the same CloudEvent id and
    headers: a consumer that already processed the event drops it, the one that failed runs
    it again (fix the cause first). A letter that fails again comes back as a new letter."""
    if bool(letter_ids) == bool(topic):
        console.print("[red]error:[/] name letter ids or --topic, not both or neither")
        raise typer.Exit(2)

    async def work(settings: Settings, ledger: Ledger) -> list[dict[str, Any]]:
        if topic:
            found = select(await read_letters(settings, [topic]), topic=topic)
            history = await ledger.history(found)
            letters = [x for x in found if state_of(history[x.ledger_key]) == "pending"]
        else:
            letters = await find_letters(settings, letter_ids or [])
        keep = timedelta(seconds=2 * settings.outbox_replay_window_seconds)
        letters = _replayable(letters, keep, force)
        await publish_again(settings, letters)
        await ledger.record("replayed", letters)
        for letter in letters:
            log.info(
                "replayed %s (event %s) to %s", letter.id, letter.event_id, letter.source_topic
            )
        return [letter.summary() for letter in letters]

    done = _run(work)
    if as_json:
        _print_json(done)
    console.print(f"{len(done)} letter(s) replayed")


@dlq_app.command()
def discard(
    letter_ids: Annotated[list[str], typer.Argument(help="Letters to discard")],
    reason: Annotated[str, typer.Option(help="Why: kept with the decision")],
    as_json: AsJson = False,
) -> None:
    """Marks letters as dealt with, keeping the reason; `list` no longer shows them."""
    if not reason.strip():
        console.print("[red]error:[/] --reason must say why the letters are discarded")
        raise typer.Exit(2)

    async def work(settings: Settings, ledger: Ledger) -> list[dict[str, Any]]:
        letters = await find_letters(settings, letter_ids)
        await ledger.record("discarded", letters, reason=reason.strip())
        for letter in letters:
            log.info("discarded %s (event %s): %s", letter.id, letter.event_id, reason.strip())
        return [letter.summary() for letter in letters]

    done = _run(work)
    if as_json:
        _print_json(done)
    console.print(f"{len(done)} letter(s) discarded")
