"""The commands about one list's issues: run, edit, articles, preview and status."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import click
from rich.table import Table
from rich.text import Text

from digest import pipeline
from digest.cli.context import Invocation, list_option, parse_since
from digest.cli.output import (
    exit_if_every_source_failed,
    out,
    print_checks,
    print_collect,
    print_issue,
    print_send,
)
from digest.pipeline import article_listing, summaries
from digest.states import DeliveryStatus


@click.command()
@list_option()
@click.pass_obj
def run(state: Invocation, list_slug: str | None) -> None:
    """Collect, compose this week's issue, preview it and deliver it.

    Exits 3 if every source failed, after the report: an issue of what was collected
    before still goes."""
    slug = state.list_slug(list_slug)
    with pipeline.runtime(state.settings, state.now()) as rt:
        report = pipeline.run(rt, slug, state.now())
    print_collect(report.collected)
    if report.issue is None:
        out.print(f"No new articles for {slug}: no issue this week, nothing sent.")
    else:
        print_issue(report.issue)
        print_send(report.delivery)
        if report.preview:
            out.print(f"HTML preview: {report.preview}")
        if report.outbox:
            out.print(f"Outbox:       {report.outbox}")
    exit_if_every_source_failed(report.collected)


@click.command()
@click.option("--since", callback=parse_since, help="Only articles collected since (ISO date).")
@click.option("--resummarise", is_flag=True, help="Every summary, not only the changed ones.")
@click.pass_obj
def edit(state: Invocation, since: datetime | None, resummarise: bool) -> None:
    """Make stored articles' summaries again where their title or text changed (all of them
    with --resummarise), with the summariser in config.yaml (editorial.summariser)."""
    with pipeline.runtime(state.settings, state.now()) as rt:
        report = summaries.resummarise(rt, since=since, force=resummarise)
    out.print(
        f"Checked {report.checked} article(s), summarised {report.summarised} "
        f"({state.settings.editorial.summariser})."
    )


@click.command()
@click.option("--since", callback=parse_since, help="Collected since (ISO date) until now.")
@click.option(
    "--week", "week", is_flag=True, help="Collected in the current issue's period (the default)."
)
@list_option()
@click.option("--plain", is_flag=True, help="Plain lines instead of a table.")
@click.pass_obj
def articles(
    state: Invocation, since: datetime | None, week: bool, list_slug: str | None, plain: bool
) -> None:
    """The articles collected in a period, with region, tags, reading time and summary.

    The default period is the list's current issue's: since its previous scheduled send
    (Monday to Monday in its time zone for a list sent by hand)."""
    from digest.pipeline.composing import period_of

    if since is not None and week:
        raise click.UsageError("give either --since or --week, not both")
    now = state.now()
    if since is not None:
        start, end, label = since, now + timedelta(seconds=1), f"since {since:%Y-%m-%d}"
    else:
        slug = state.list_slug(list_slug)
        start, end = period_of(state.settings.mailing_list(slug), now)
        label = f"period of {start:%Y-%m-%d} to {end:%Y-%m-%d} ({slug})"
    with pipeline.runtime(state.settings, now) as rt:
        rows = article_listing.articles_collected(rt, start, end)
    if plain:
        for row in rows:
            out.print(
                f"#{row.id} {row.title}\n  region: {row.region or '-'} · tags: "
                f"{', '.join(row.tags) or '-'} · {row.reading_minutes} min read · "
                f"language: {row.language or '-'} · source: {row.source or '-'}\n"
                f"  summary ({row.summary_method}): {row.summary}\n",
                markup=False,
            )
    else:
        table = Table(
            "#",
            "title",
            "region",
            "tags",
            "lang",
            "min",
            "summary",
            title=f"Articles, {label}",
            show_lines=True,
        )
        for row in rows:
            # Text cells: an article's own words are never read as rich markup.
            table.add_row(
                str(row.id),
                Text(row.title),
                Text(row.region or "-"),
                Text(", ".join(row.tags) or "-"),
                Text(row.language or "-"),
                str(row.reading_minutes),
                Text(row.summary) + Text(f" ({row.summary_method})", style="dim"),
            )
        out.print(table)
    out.print(f"{len(rows)} article(s) collected, {label}.")


@click.command()
@list_option()
@click.option("--text", is_flag=True, help="Write the plain-text part instead of the HTML.")
@click.option(
    "--out", "out_path", type=click.Path(path_type=Path, dir_okay=False), help="File to write."
)
@click.option("--as", "as_email", metavar="EMAIL", help="As this subscriber, with their links.")
@click.option("--open", "open_browser", is_flag=True, help="Open the preview in a browser.")
@click.pass_obj
def preview(
    state: Invocation,
    list_slug: str | None,
    text: bool,
    out_path: Path | None,
    as_email: str | None,
    open_browser: bool,
) -> None:
    """Render the coming issue to a file without sending it, and run its pre-send checks."""
    slug = state.list_slug(list_slug)
    with pipeline.runtime(state.settings, state.now()) as rt:
        shown = pipeline.preview(
            rt,
            slug,
            state.now(),
            text=text,
            out=out_path,
            as_email=as_email,
            open_browser=open_browser,
        )
        results = pipeline.checks(rt, shown.issue.id) if shown else []
    if shown is None:
        out.print(f"No new articles for {slug}: nothing to preview (run `digest collect` first).")
        return
    print_issue(shown.issue)
    print_checks(results)
    out.print(f"Preview written to {shown.path}")


@click.command()
@list_option()
@click.option(
    "--issue",
    "number",
    type=click.IntRange(min=1),
    help="One issue's stories with their clicks, instead of every issue's deliveries.",
)
@click.pass_obj
def status(state: Invocation, list_slug: str | None, number: int | None) -> None:
    """Per issue of a list: its state and its deliveries by state.

    With --issue N: that issue's stories, each with its clicks and clicks per 100 delivered."""
    slug = state.list_slug(list_slug)
    if number is not None:
        print_clicks(state, slug, number)
        return
    from digest.schedule_runs import recent_runs

    with pipeline.runtime(state.settings, state.now()) as rt:
        rows = pipeline.delivery_status(rt, slug)
        runs = recent_runs(rt.sessions, slug)
    states = tuple(DeliveryStatus)
    # No cell padding: every state's name fits in full in an 80-column terminal.
    table = Table(
        "#", "status", "approval", *states, title=f"{slug}: deliveries by state", padding=(0, 0)
    )
    for row in rows:
        table.add_row(
            str(row.number),
            row.status,
            row.approval,
            *(str(row.deliveries.get(s, 0)) for s in states),
        )
    out.print(table)
    if not rows:
        out.print(f"No issue of {slug} yet.")
    if runs:
        scheduled = Table("job", "scheduled for (UTC)", "outcome", "detail", title="schedule")
        for run_ in runs:
            scheduled.add_row(
                run_.job, f"{run_.scheduled_for:%Y-%m-%d %H:%M}", run_.outcome, run_.detail
            )
        out.print(scheduled)


def print_clicks(state: Invocation, slug: str, number: int) -> None:
    """One row per story of the issue, in its order: clicks, and per 100 delivered."""
    from digest.pipeline.clicks import issue_clicks

    with pipeline.runtime(state.settings, state.now()) as rt:
        issue = issue_clicks(rt, slug, number)
    table = Table(
        "#",
        "story",
        "clicks",
        "per 100",
        title=f"{slug} #{issue.number} ({issue.status}): clicks, {issue.delivered} delivered",
    )
    for position, story in enumerate(issue.stories, start=1):
        per_100 = "-" if story.per_100 is None else f"{story.per_100:.1f}"
        table.add_row(str(position), story.title, str(story.clicks), per_100)
    out.print(table)
    if not state.settings.counts_clicks(slug):
        out.print(f"Clicks are not counted for {slug} (analytics.enabled or the list's clicks).")
