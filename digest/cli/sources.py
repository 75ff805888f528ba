"""The commands about the sources: collect them, and show each one's health."""

from __future__ import annotations

import click
from rich.table import Table

from digest import pipeline
from digest.cli.context import Invocation
from digest.cli.output import exit_if_every_source_failed, out, print_collect, progress_bar
from digest.pipeline import summaries


@click.command()
@click.option("--resummarise", is_flag=True, help="Then make every stored article's summary again.")
@click.pass_obj
def collect(state: Invocation, resummarise: bool) -> None:
    """Fetch every source and store the new articles.

    Exits 3 if every source failed."""
    with pipeline.runtime(state.settings, state.now()) as rt:
        with progress_bar("collecting", "source") as progress:
            report = pipeline.collect(rt, state.now(), progress)
        summarised = summaries.resummarise(rt, force=True) if resummarise else None
    print_collect(report)
    if summarised is not None:
        out.print(f"Summarised {summarised.summarised} article(s) again.")
    exit_if_every_source_failed(report)


@click.command()
@click.pass_obj
def sources(state: Invocation) -> None:
    """Each source's health: last success and error, failures in a row, items, validators."""
    from digest.pipeline.sources import source_states

    with pipeline.runtime(state.settings, state.now()) as rt:
        rows = source_states(rt)
    table = Table(
        "source",
        "state",
        "last success (UTC)",
        "fails",
        "items",
        "ETag / Last-Modified",
        "last error",
        title="sources",
    )
    for row in rows:
        if not row.enabled:
            health = "[dim]disabled[/]"
        elif not row.active:
            health = "[red]inactive[/]"
        elif row.failing:
            health = f"[red]FAILING[/] ({row.consecutive_failures}x)"
        elif row.retry_after_at is not None and row.retry_after_at > state.now():
            health = f"[yellow]wait until {row.retry_after_at:%Y-%m-%d %H:%M}[/]"
        elif row.consecutive_failures:
            health = "[yellow]failed[/]"
        else:
            health = "[green]ok[/]" if row.last_success_at else "not fetched yet"
        validators = " / ".join(v for v in (row.etag, row.last_modified) if v) or "none"
        table.add_row(
            f"{row.name}\n[dim]{row.url}[/]",
            health,
            f"{row.last_success_at:%Y-%m-%d %H:%M}" if row.last_success_at else "never",
            str(row.consecutive_failures),
            str(row.items_seen),
            validators,
            row.last_error or "",
        )
    out.print(table)
    failing = [r.name for r in rows if r.enabled and (r.failing or not r.active)]
    if failing:
        out.print(
            f"Needs attention: {', '.join(failing)} (see last error; fix the url in config.yaml,"
            " or on /admin/sources for a source edited there)"
        )
