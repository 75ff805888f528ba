"""The commands of the long-running service: serve, its schedule and its editors' accounts."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

import click
from rich.table import Table

from digest.cli.context import Invocation
from digest.cli.output import err, out


@click.command()
@click.option("--host", help="Address to listen on (default: web.host in config.yaml).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: web.port).")
@click.option("--no-web", is_flag=True, help="Do not serve the web app.")
@click.option("--no-scheduler", is_flag=True, help="Do not collect, draft or send on schedule.")
@click.option("--no-worker", is_flag=True, help="Do not run the delivery worker.")
@click.option("--log-json", is_flag=True, help="Log JSON lines (also service.log_json).")
@click.option("--clock-offset", type=float, default=0.0, hidden=True, help="Seconds (tests).")
@click.pass_obj
def serve(
    state: Invocation,
    host: str | None,
    port: int | None,
    no_web: bool,
    no_scheduler: bool,
    no_worker: bool,
    log_json: bool,
    clock_offset: float,
) -> None:
    """Run the service: the editor's pages and archive (web.*), the scheduler (each list's
    schedule: collect, draft, send) and the delivery worker, until SIGTERM or Ctrl-C."""
    from digest import logs, pipeline
    from digest.service import Parts, Service

    settings = state.settings
    offset = timedelta(seconds=clock_offset)

    def clock() -> datetime:
        return state.now() + offset

    # Fail here, in one line with a hint, if the database cannot be reached or migrated.
    with pipeline.runtime(settings, clock()):
        pass
    host = host or settings.web.host
    port = port or settings.web.port
    parts = Parts(web=not no_web, scheduler=not no_scheduler, worker=not no_worker)
    if parts.web:
        shown = f"[{host}]" if ":" in host else host
        out.print(f"Editor's pages on http://{shown}:{port}/editor (Ctrl+C stops)")
        if not settings.web.editors:
            out.print("No editor can sign in yet: add accounts under web.editors in config.yaml.")
    logs.configure(json_lines=log_json or settings.service.log_json, verbose=state.verbose)
    sys.exit(Service(settings, clock, parts, host, port).run())


@click.command()
@click.pass_obj
def schedule(state: Invocation) -> None:
    """Each scheduled list's next 3 collects, drafts and sends, in its zone and in UTC."""
    from zoneinfo import ZoneInfo

    from digest.schedule import plan

    planned = plan(state.settings, state.now())
    if not planned:
        out.print("No list has a schedule: add schedule.send to a list in config.yaml.")
        return
    table = Table("list", "job", "list's time", "UTC", title="Next scheduled runs")
    for item in planned:
        zone = ZoneInfo(item.timezone)
        jobs: list[tuple[str, tuple[datetime, ...]]] = [
            ("collect", item.collects),
            ("draft", item.drafts),
            ("send", item.sends),
        ]
        if item.waves:
            # Local-time delivery: each send is a wave per zone, between these two moments.
            jobs[2:] = [
                ("send: first zone (UTC+14)", tuple(first for first, _last in item.waves)),
                ("send: list's zone", item.sends),
                ("send: last zone (UTC-12)", tuple(last for _first, last in item.waves)),
            ]
        for job, moments in jobs:
            for n, moment in enumerate(moments):
                # The job is named on its first run only: the next ones follow under it.
                table.add_row(
                    item.list_slug,
                    "" if n else job,
                    f"{moment.astimezone(zone):%a %Y-%m-%d %H:%M %Z} ({item.timezone})",
                    f"{moment.astimezone(UTC):%a %Y-%m-%d %H:%M} UTC",
                )
    out.print(table)


@click.group()
def editors() -> None:
    """Editor accounts of the web app (web.editors in config.yaml)."""


@editors.command("hash-password")
def editors_hash_password() -> None:
    """Ask for a password (twice) and print its hash for web.editors[].password_hash."""
    from digest.web.passwords import hash_password

    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password.strip():
        raise click.UsageError("the password cannot be empty")
    click.echo(hash_password(password))
    err.print(
        "Put it in config.yaml under web.editors, e.g.:\n"
        '  - username: "amina"\n'
        '    password_hash: "<the line above>"',
        markup=False,
    )


@editors.command("add")
@click.argument("username")
@click.option(
    "--role",
    type=click.Choice(["admin", "editor"]),
    required=True,
    help="admin: issues, readers, sources; editor: issues only, no reader's address.",
)
def editors_add(username: str, role: str) -> None:
    """Ask for USERNAME's password (twice) and print the account's lines for web.editors.

    The accounts live in config.yaml (no password or hash is kept anywhere else): paste the
    lines there and restart `digest serve`."""
    from digest.web.passwords import hash_password

    if not username.strip() or any(c in username for c in '"\n\r'):
        raise click.UsageError("the username cannot be empty or hold quotes or line breaks")
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password.strip():
        raise click.UsageError("the password cannot be empty")
    click.echo(
        f'  - username: "{username.strip()}"\n'
        f'    password_hash: "{hash_password(password)}"\n'
        f'    role: "{role}"'
    )
    err.print("Put these lines in config.yaml under web.editors, then restart.", markup=False)
