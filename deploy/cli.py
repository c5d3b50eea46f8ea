"""`commonweave`: run the embedded stack, bootstrap a network, read traces."""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console

from deploy.asyncapi import asyncapi_document
from deploy.demo import demo
from deploy.dlq import dlq_app
from deploy.shellenv import export_lines
from deploy.stack import Stack, StackError
from deploy.traces import traces_app
from shared.clients import IntakeClient
from shared.clients.once import call_once
from shared.contracts.intake import CreatedNetwork
from shared.contracts.requests.intake import NetworkInput
from shared.errors import AppError, ErrorCode
from shared.http import ServiceClient, validated
from shared.settings import Settings

app = typer.Typer(help="Commonweave: community partnerships.", no_args_is_help=True)
admin_app = typer.Typer(help="Operator commands against the running stack.", no_args_is_help=True)
app.add_typer(admin_app, name="admin")
app.add_typer(traces_app, name="traces")
app.add_typer(dlq_app, name="dlq")
app.command()(demo)
console = Console(stderr=True, soft_wrap=True)


def development_settings(settings: Settings) -> Settings:
    """`commonweave run`'s settings: the development stack lets `commonweave demo` date its
    quarter (PUT /clock, behind the service token) unless COMMONWEAVE_CLOCK_CONTROL says no."""
    if "clock_control" in settings.model_fields_set:
        return settings
    return settings.model_copy(update={"clock_control": True})


@app.command()
def run() -> None:
    """Start the broker, the document store and the five services; Ctrl-C stops them all."""
    settings = development_settings(Settings())
    began = time.monotonic()

    def on_sigterm(_signum: int, _frame: FrameType | None) -> None:
        # once: a second SIGTERM (e.g. `timeout` passing its own on) must not cut the
        # stopping of the stack short and leave processes behind
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        stack = Stack(settings, report=lambda line: console.print(f"[green]✓[/] {line}"))
        with stack:
            console.print(
                f"\n[bold]Commonweave is up[/] in {time.monotonic() - began:.1f}s\n"
                f"GraphQL: [cyan]{stack.graphql_url}[/]\n"
                f"Dashboard: [cyan]{stack.settings.url_of('gateway')}/dashboard[/]\n"
                f"Workspace: [cyan]{stack.settings.url_of('gateway')}/app[/]"
                + (
                    ""
                    if settings.smtp_host
                    else " (email off: sign-in links in "
                    f"{settings.data_dir / 'logs' / 'notifications.log'})"
                )
                + "\n"
                "Create a network: commonweave admin create-network --name N --region R "
                "--time-zone TZ\nTraces: commonweave traces\nCtrl-C stops everything."
            )
            while True:  # a crashed process is started again; a crash loop ends here
                stack.supervise()
                time.sleep(0.5)
    except StackError as error:
        console.print(f"[red]error:[/] {error}")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        console.print("stopped")


@admin_app.command("create-network")
def create_network(
    name: Annotated[str, typer.Option(help="The network's name")],
    region: Annotated[str, typer.Option(help="Its region, e.g. 'Lane County'")],
    time_zone: Annotated[str, typer.Option("--time-zone", help="IANA time zone")] = "UTC",
    operator_email: Annotated[
        str | None,
        typer.Option("--operator-email", help="The coordinator's email: signs in to /app by link"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only")] = False,
    as_env: Annotated[
        bool, typer.Option("--env", help='Print shell export lines: eval "$(... --env)"')
    ] = False,
) -> None:
    """Create a network and print its first operator token (shown only this once)."""
    settings = Settings()

    async def create(http: ServiceClient) -> CreatedNetwork:
        network = {
            "name": name,
            "region": region,
            "time_zone": time_zone,
            "operator_email": operator_email,
        }
        return await IntakeClient(http).create_network(validated(NetworkInput, network))

    try:
        created = call_once(settings, "intake", create)
    except AppError as error:
        if error.code is ErrorCode.UNAVAILABLE:
            console.print(
                f"[red]error:[/] intake is not reachable at {settings.url_of('intake')} "
                f"({error.message}); start the stack with `make run`"
            )
            raise typer.Exit(1) from None
        field = f" ({error.field})" if error.field else ""
        console.print(f"[red]error:[/] {error.code}: {error.message}{field}")
        raise typer.Exit(1) from None
    body = created.model_dump(mode="json")
    if as_json:
        print(json.dumps(body))
    elif as_env:
        console.print("# the operator token is shown only this once: keep it")
        print(
            export_lines(
                {
                    "GRAPHQL_URL": f"{settings.url_of('gateway')}/graphql",
                    "NETWORK_ID": created.network_id,
                    "OPERATOR_TOKEN": created.operator_token,
                    "JOIN_CODE": created.join_code,
                }
            ),
            end="",
        )
    else:
        console.print(
            f"network    {created.network_id}\noperator   {created.operator_token}  "
            f"(keep it: it is not shown again)\njoin code  {created.join_code}"
        )


@app.command()
def asyncapi(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write it here instead of stdout")
    ] = None,
) -> None:
    """Write the AsyncAPI 3 document of every topic, generated from the event contracts."""
    text = json.dumps(asyncapi_document(), indent=2, default=str) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text)


if __name__ == "__main__":
    app()
