"""The `digest` command: each step of an issue by hand, or `digest run` for all of them.

Errors print one line and a hint and exit 1 (-v adds the traceback); usage errors exit 2;
`run` and `collect` exit 3 when every source failed (output.EXIT_EVERY_SOURCE_FAILED).
"""

from __future__ import annotations

import logging
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.logging import RichHandler

from digest import __version__
from digest.cli import database, issues, sending, service, sources, subscribers
from digest.cli.context import Invocation
from digest.cli.output import err
from digest.errors import DigestError


class DigestGroup(click.Group):
    """Turns a DigestError raised by any command into one line and a hint, exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DigestError as exc:
            state = ctx.obj if isinstance(ctx.obj, Invocation) else None
            verbose = state.verbose if state else "-v" in sys.argv[1:]
            _fail(exc, verbose)


def _fail(exc: DigestError, verbose: bool) -> NoReturn:
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


@click.group(cls=DigestGroup)
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
    ctx.obj = Invocation(config, verbose, now)
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=err, show_path=False, show_time=False)],
    )


for command in (
    issues.run,
    sources.collect,
    issues.edit,
    issues.articles,
    sources.sources,
    issues.preview,
    sending.send,
    sending.worker,
    issues.status,
    sending.bounces,
    subscribers.subscribers,
    service.serve,
    service.schedule,
    service.editors,
    database.db_group,
):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="digest")
