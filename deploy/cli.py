"""`commonweave`: run the embedded stack, bootstrap a network, read traces."""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Annotated

import httpx
import typer
from rich.console import Console

from deploy.asyncapi import asyncapi_document
from deploy.demo import demo
from deploy.dlq import dlq_app
from deploy.shellenv import export_lines
from deploy.stack import Stack, StackError
from deploy.traces import traces_app
from shared.http import SERVICE_TOKEN_HEADER
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
    try:
        response = httpx.post(
            f"{settings.url_of('intake')}/networks",
            json={
                "name": name,
                "region": region,
                "time_zone": time_zone,
                "operator_email": operator_email,
            },
            headers={SERVICE_TOKEN_HEADER: settings.service_token.get_secret_value()},
            timeout=settings.http_timeout_seconds,
        )
    except httpx.TransportError as exc:
        console.print(
            f"[red]error:[/] intake is not reachable at {settings.url_of('intake')} "
            f"({exc}); start the stack with `make run`"
        )
        raise typer.Exit(1) from None
    body = response.json()
    if response.status_code >= 400:
        error = body.get("error", {})
        field = f" ({error['field']})" if error.get("field") else ""
        console.print(f"[red]error:[/] {error.get('code')}: {error.get('message')}{field}")
        raise typer.Exit(1)
    if as_json:
        print(json.dumps(body))
    elif as_env:
        console.print("# the operator token is shown only this once: keep it")
        print(
            export_lines(
                {
                    "GRAPHQL_URL": f"{settings.url_of('gateway')}/graphql",
                    "NETWORK_ID": body["networkId"],
                    "OPERATOR_TOKEN": body["operatorToken"],
                    "JOIN_CODE": body["joinCode"],
                }
            ),
            end="",
        )
    else:
        console.print(
            f"network    {body['networkId']}\noperator   {body['operatorToken']}  "
            f"(keep it: it is not shown again)\njoin code  {body['joinCode']}"
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
