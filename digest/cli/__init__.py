"""The `digest` command: each step of an issue by hand, or `digest run` for all of them.

Errors print one line and a hint and exit 1 (-v adds the traceback); usage errors exit 2;
`run` and `collect` exit 3 when every source failed (output.EXIT_EVERY_SOURCE_FAILED).
A command's module is imported only when it runs (COMMANDS), so `--help` and `--version`
start at once: keep this module's own imports light.
"""

from __future__ import annotations

import logging
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import click

from digest import __version__
from digest.cli.lazy_group import LazyCommand, LazyGroup
from digest.errors import DigestError

# Each command: where it lives, and the first sentence of its help (`digest --help` lists
# them without importing them; tests/test_cli_startup.py checks the two agree).
COMMANDS = {
    "articles": LazyCommand(
        "digest.cli.issues:articles",
        "The articles collected in a period, with region, tags, reading time and summary.",
    ),
    "backup": LazyCommand(
        "digest.cli.database:backup",
        "Copy the SQLite database to PATH, a new file, while digest goes on using it.",
    ),
    "bounces": LazyCommand("digest.cli.sending:bounces", "Bounce handling."),
    "collect": LazyCommand(
        "digest.cli.sources:collect", "Fetch every source and store the new articles."
    ),
    "db": LazyCommand("digest.cli.database:db_group", "Database schema."),
    "edit": LazyCommand(
        "digest.cli.issues:edit",
        "Make stored articles' summaries again where their title or text changed (all of them "
        "with --resummarise), with the summariser in config.yaml (editorial.summariser).",
    ),
    "editors": LazyCommand(
        "digest.cli.service:editors", "Editor accounts of the web app (web.editors in config.yaml)."
    ),
    "init": LazyCommand(
        "digest.cli.init:init",
        "Write config.yaml, the templates to customise and the sample sources into DIRECTORY "
        "(default: this folder), ready for `digest run`.",
    ),
    "preview": LazyCommand(
        "digest.cli.issues:preview",
        "Render the coming issue to a file without sending it, and run its pre-send checks.",
    ),
    "run": LazyCommand(
        "digest.cli.issues:run", "Collect, compose this week's issue, preview it and deliver it."
    ),
    "schedule": LazyCommand(
        "digest.cli.service:schedule",
        "Each scheduled list's next 3 collects, drafts and sends, in its zone and in UTC.",
    ),
    "send": LazyCommand(
        "digest.cli.sending:send",
        "Deliver this week's issue to every subscriber who has not received it.",
    ),
    "serve": LazyCommand(
        "digest.cli.service:serve",
        "Run the service: the editor's pages and archive (web.*), the scheduler (each list's "
        "schedule: collect, draft, send) and the delivery worker, until SIGTERM or Ctrl-C.",
    ),
    "sources": LazyCommand(
        "digest.cli.sources:sources",
        "Each source's health: last success and error, failures in a row, items, validators.",
    ),
    "status": LazyCommand(
        "digest.cli.issues:status", "Per issue of a list: its state and its deliveries by state."
    ),
    "subscribers": LazyCommand(
        "digest.cli.subscribers:subscribers",
        "Add, list, remove, import, export and suppress subscribers.",
    ),
    "worker": LazyCommand(
        "digest.cli.sending:worker",
        "Deliver the issues that have started sending, alongside any other workers.",
    ),
}


class DigestGroup(LazyGroup):
    """Turns a DigestError raised by any command into one line and a hint, exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DigestError as exc:
            from digest.cli.context import Invocation

            state = ctx.obj if isinstance(ctx.obj, Invocation) else None
            verbose = state.verbose if state else "-v" in sys.argv[1:]
            _fail(exc, verbose)


def _fail(exc: DigestError, verbose: bool) -> NoReturn:
    from digest.cli.output import err

    if verbose:
        err.print(traceback.format_exc(), markup=False)
    err.print(f"[bold red]error:[/] {exc.message}", markup=True)
    err.print(f"[dim]hint:[/] {exc.hint}", markup=True)
    sys.exit(1)


def _parse_now(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            "expected an ISO date-time such as 2026-11-23T07:00+00:00"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@click.group(cls=DigestGroup, lazy_commands=COMMANDS)
@click.option(
    "--config",
    "config",
    type=click.Path(path_type=Path, dir_okay=False),
    default="config.yaml",
    envvar="DIGEST_CONFIG",
    show_default=True,
    help="Configuration file.",
)
@click.option("-v", "--verbose", is_flag=True, help="Show details and tracebacks.")
@click.option("--now", callback=_parse_now, hidden=True, help="Pretend it is this time (tests).")
@click.version_option(__version__, prog_name="digest")
@click.pass_context
def cli(ctx: click.Context, config: Path, verbose: bool, now: datetime | None) -> None:
    """Build the week's newsletter digest from a newsroom's feeds and send it."""
    from rich.logging import RichHandler

    from digest.cli.context import Invocation
    from digest.cli.output import err
    from digest.logs import quiet_handled

    ctx.obj = Invocation(config, verbose, now)
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=err, show_path=False, show_time=False)],
    )
    quiet_handled(verbose)


def main() -> None:
    cli(prog_name="digest")
