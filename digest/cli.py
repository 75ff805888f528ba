"""The `digest` command: each step of an issue by hand, or `digest run` for all of them.

Errors print one line and a hint and exit 1 (-v adds the traceback); usage errors exit 2.
"""

from __future__ import annotations

import logging
import signal
import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from digest import __version__, db, pipeline
from digest.config import Settings, load_settings
from digest.errors import DigestError
from digest.pipeline import editorial
from digest.render.checks import Check
from digest.stopping import StopAfterBatch
from subscribers import membership
from subscribers.fields import FieldError, clean_timezone

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class _State:
    def __init__(self, config: Path, verbose: bool, now: datetime | None) -> None:
        self.config = config
        self.verbose = verbose
        self._now = now
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config)
        return self._settings

    def now(self) -> datetime:
        return self._now or datetime.now(UTC)

    def list_slug(self, given: str | None) -> str:
        if given:
            self.settings.mailing_list(given)  # fails with the known slugs if wrong
            return given
        if not self.settings.lists:
            raise DigestError(
                f"{self.config}: lists: no mailing list is configured",
                hint="add one under lists: in config.yaml",
            )
        return self.settings.lists[0].slug


class DigestGroup(click.Group):
    """Turns a DigestError raised by any command into one line and a hint, exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DigestError as exc:
            state = ctx.obj if isinstance(ctx.obj, _State) else None
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


def _parse_since(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("expected an ISO date such as 2026-11-16") from None
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
    ctx.obj = _State(config, verbose, now)
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=err, show_path=False, show_time=False)],
    )


def _list_option() -> Any:
    return click.option(
        "--list", "list_slug", help="Mailing list slug (default: the first in config.yaml)."
    )


# ----------------------------------------------------------------------------- steps


@cli.command()
@_list_option()
@click.pass_obj
def run(state: _State, list_slug: str | None) -> None:
    """Collect, compose this week's issue, preview it and deliver it."""
    slug = state.list_slug(list_slug)
    with pipeline.runtime(state.settings, state.now()) as rt:
        report = pipeline.run(rt, slug, state.now())
    _print_collect(report.collected)
    if report.issue is None:
        out.print(f"No new articles for {slug}: no issue this week, nothing sent.")
        return
    _print_issue(report.issue)
    _print_send(report.delivery)
    if report.preview:
        out.print(f"HTML preview: {report.preview}")
    if report.outbox:
        out.print(f"Outbox:       {report.outbox}")


@cli.command()
@click.option("--resummarise", is_flag=True, help="Then make every stored article's summary again.")
@click.pass_obj
def collect(state: _State, resummarise: bool) -> None:
    """Fetch every source and store the new articles."""
    with pipeline.runtime(state.settings, state.now()) as rt:
        report = pipeline.collect(rt, state.now())
        summarised = editorial.resummarise(rt, force=True) if resummarise else None
    _print_collect(report)
    if summarised is not None:
        out.print(f"Summarised {summarised.summarised} article(s) again.")
    if report.sources and all(s.error for s in report.sources):
        sys.exit(1)


@cli.command()
@click.option("--since", callback=_parse_since, help="Only articles collected since (ISO date).")
@click.option("--resummarise", is_flag=True, help="Every summary, not only the changed ones.")
@click.pass_obj
def edit(state: _State, since: datetime | None, resummarise: bool) -> None:
    """Make stored articles' summaries again where their title or text changed (all of them
    with --resummarise), with the summariser in config.yaml (editorial.summariser)."""
    with pipeline.runtime(state.settings, state.now()) as rt:
        report = editorial.resummarise(rt, since=since, force=resummarise)
    out.print(
        f"Checked {report.checked} article(s), summarised {report.summarised} "
        f"({state.settings.editorial.summariser})."
    )


@cli.command()
@click.option("--since", callback=_parse_since, help="Collected since (ISO date) until now.")
@click.option(
    "--week", "week", is_flag=True, help="Collected in the current issue's period (the default)."
)
@_list_option()
@click.option("--plain", is_flag=True, help="Plain lines instead of a table.")
@click.pass_obj
def articles(
    state: _State, since: datetime | None, week: bool, list_slug: str | None, plain: bool
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
        rows = editorial.articles_collected(rt, start, end)
    if plain:
        for row in rows:
            out.print(
                f"#{row.id} {row.title}\n  region: {row.region or '-'} · tags: "
                f"{', '.join(row.tags) or '-'} · {row.reading_minutes} min read · "
                f"source: {row.source or '-'}\n  summary ({row.summary_method}): {row.summary}\n",
                markup=False,
            )
    else:
        table = Table(
            "#",
            "title",
            "region",
            "tags",
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
                str(row.reading_minutes),
                Text(row.summary) + Text(f" ({row.summary_method})", style="dim"),
            )
        out.print(table)
    out.print(f"{len(rows)} article(s) collected, {label}.")


@cli.command()
@click.pass_obj
def sources(state: _State) -> None:
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
        if not row.active:
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
    failing = [r.name for r in rows if r.failing or not r.active]
    if failing:
        out.print(f"Needs attention: {', '.join(failing)} (see last error; fix url in config.yaml)")


@cli.command()
@_list_option()
@click.option("--text", is_flag=True, help="Write the plain-text part instead of the HTML.")
@click.option(
    "--out", "out_path", type=click.Path(path_type=Path, dir_okay=False), help="File to write."
)
@click.option("--as", "as_email", metavar="EMAIL", help="As this subscriber, with their links.")
@click.option("--open", "open_browser", is_flag=True, help="Open the preview in a browser.")
@click.pass_obj
def preview(
    state: _State,
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
    _print_issue(shown.issue)
    _print_checks(results)
    out.print(f"Preview written to {shown.path}")


@cli.command()
@_list_option()
@click.pass_obj
def send(state: _State, list_slug: str | None) -> None:
    """Deliver this week's issue to every subscriber who has not received it."""
    slug = state.list_slug(list_slug)
    with pipeline.runtime(state.settings, state.now()) as rt, _progress() as progress:
        report = pipeline.send(rt, slug, state.now(), progress=progress)
    if report.issue is None:
        out.print(f"No new articles for {slug}: no issue this week, nothing sent.")
        return
    _print_issue(report.issue)
    _print_send(report)


@cli.command()
@click.option("--once", is_flag=True, help="One pass over the sends under way, then exit.")
@click.option(
    "--interval", default=30.0, show_default=True, help="Seconds between passes (without --once)."
)
@click.pass_obj
def worker(state: _State, once: bool, interval: float) -> None:
    """Deliver the issues that have started sending, alongside any other workers.

    On PostgreSQL any number of workers, on any number of machines, share a send; each
    message goes out once. Stops after the current batch on Ctrl-C or SIGTERM."""
    stop = _StopFlag()
    with pipeline.runtime(state.settings, state.now()) as rt:
        while not stop.requested:
            with _progress() as bar:

                def progress(done: int, total: int) -> None:
                    bar(done, total)
                    if stop.requested:
                        raise StopAfterBatch  # the batch in hand is sent and recorded

                try:
                    reports = pipeline.deliver_pending(rt, state.now(), progress=progress)
                except StopAfterBatch:
                    out.print("Stopped after the current batch; `digest worker` resumes the send.")
                    return
            for report in reports:
                if report.issue is not None:
                    _print_issue(report.issue)
                _print_send(report)
            if once:
                break
            stop.wait(interval)


@cli.command()
@_list_option()
@click.pass_obj
def status(state: _State, list_slug: str | None) -> None:
    """Per issue of a list: its state and its deliveries by state."""
    slug = state.list_slug(list_slug)
    from digest.schedule_runs import recent_runs

    with pipeline.runtime(state.settings, state.now()) as rt:
        rows = pipeline.delivery_status(rt, slug)
        runs = recent_runs(rt.sessions, slug)
    states = ("queued", "sending", "sent", "deferred", "failed", "uncertain", "skipped")
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


@cli.group()
def bounces() -> None:
    """Bounce handling."""


@bounces.command("process")
@click.argument("path", type=click.Path(path_type=Path, exists=True))
@click.pass_obj
def bounces_process(state: _State, path: Path) -> None:
    """Read delivery status notifications from an mbox file or a Maildir folder: suppress
    hard bounces, count soft ones."""
    with pipeline.runtime(state.settings, state.now()) as rt:
        report = pipeline.process_bounces(rt, path, state.now())
    out.print(
        f"Read {report.messages} message(s): {report.hard} hard bounce(s) suppressed, "
        f"{report.soft} soft bounce(s) noted, {report.unknown} naming no known subscriber"
        + (
            f"; {report.already_processed} processed before, skipped"
            if report.already_processed
            else ""
        )
    )


# ----------------------------------------------------------------------------- subscribers


@cli.group()
def subscribers() -> None:
    """Add, list, remove, import, export and suppress subscribers."""


@subscribers.command("add")
@click.argument("email")
@click.option("--name", help="The subscriber's name.")
@click.option(
    "--timezone",
    "zone",
    help="The subscriber's IANA time zone, for lists that deliver at local time.",
)
@_list_option()
@click.pass_obj
def subscribers_add(
    state: _State, email: str, name: str | None, zone: str | None, list_slug: str | None
) -> None:
    """Subscribe EMAIL (confirmed: you vouch for their consent)."""
    slug = state.list_slug(list_slug)
    now = state.now()
    try:
        zone = clean_timezone(zone)
    except FieldError as exc:
        raise DigestError(
            str(exc), hint="give an IANA time zone such as Africa/Casablanca"
        ) from None
    with (
        pipeline.runtime(state.settings, now) as rt,
        db.transaction(rt.sessions) as session,
    ):
        mailing_list = membership.get_list(session, slug)
        subscription, added = membership.add_subscriber(
            session, mailing_list, email, name=name, now=now
        )
        if zone is not None:
            subscription.subscriber.timezone = zone
        address = subscription.subscriber.email
    out.print(f"{'Added' if added else 'Already subscribed:'} {address} → {slug}")


@subscribers.command("list")
@_list_option()
@click.option("--all", "show_all", is_flag=True, help="Include unsubscribed and pending.")
@click.pass_obj
def subscribers_list(state: _State, list_slug: str | None, show_all: bool) -> None:
    """Show the subscribers of a list."""
    slug = state.list_slug(list_slug)
    with pipeline.runtime(state.settings, state.now()) as rt, rt.sessions() as session:
        mailing_list = membership.get_list(session, slug)
        table = Table("email", "name", "status", "since", title=f"{slug} subscribers")
        count = 0
        for subscriber, subscription in membership.iter_subscriptions(
            session, mailing_list, include_inactive=show_all
        ):
            count += 1
            table.add_row(
                subscriber.email,
                subscriber.name or "",
                subscription.status,
                f"{subscription.created_at:%Y-%m-%d}",
            )
    out.print(table)
    out.print(f"{count} subscriber(s)")


@subscribers.command("remove")
@click.argument("email")
@_list_option()
@click.pass_obj
def subscribers_remove(state: _State, email: str, list_slug: str | None) -> None:
    """Unsubscribe EMAIL from a list."""
    slug = state.list_slug(list_slug)
    with (
        pipeline.runtime(state.settings, state.now()) as rt,
        db.transaction(rt.sessions) as session,
    ):
        mailing_list = membership.get_list(session, slug)
        subscription = membership.remove_subscriber(session, mailing_list, email, now=state.now())
        address = subscription.subscriber.email
    out.print(f"Removed {address} from {slug}")


@subscribers.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@_list_option()
@click.option(
    "--confirmed",
    is_flag=True,
    help="Import as confirmed: only if you hold each reader's prior consent to this list. "
    "Without it every row is pending until the reader confirms.",
)
@click.option("--consent", "wording", help="How they consented (default: the file's name).")
@click.pass_obj
def subscribers_import(
    state: _State, file: Path, list_slug: str | None, confirmed: bool, wording: str | None
) -> None:
    """Import subscribers from a CSV file with a header (email,name,status,topics,timezone).

    Bad rows are reported with their line numbers and skipped; unsubscribed and suppressed
    addresses are never subscribed again. Safe to run twice."""
    from subscribers import csv_io
    from subscribers.fields import offered_topics

    slug = state.list_slug(list_slug)
    try:
        handle = file.open(encoding="utf-8-sig", errors="replace", newline="")
    except OSError as exc:
        raise DigestError(
            f"{file}: cannot read: {exc.strerror}", hint="give the path of a CSV file"
        ) from None

    def bad_row(row: csv_io.BadRow) -> None:
        err.print(f"{file.name}:{row.line}: {row.problem}", markup=False)

    with handle, pipeline.runtime(state.settings, state.now()) as rt:
        with rt.sessions() as session:
            list_id = membership.get_list(session, slug).id
        try:
            report = csv_io.import_csv(
                rt.engine,
                handle,
                list_id=list_id,
                offered_topics=offered_topics(state.settings),
                confirmed=confirmed,
                consent_wording=wording or f"imported from {file.name}",
                now=state.now(),
                on_bad_row=bad_row,
            )
        except csv_io.CsvFormatError as exc:
            raise csv_io.CsvFormatError(f"{file}: {exc.message}") from None
    added = report.added
    out.print(
        f"Read {report.rows} row(s) into {slug}: added {added['confirmed']} confirmed, "
        f"{added['pending']} pending, {added['unsubscribed']} unsubscribed; "
        f"{report.now_unsubscribed} unsubscribed now."
    )
    out.print(
        f"Skipped {report.already_on_list} already on the list, "
        f"{report.kept_unsubscribed} who had unsubscribed (never re-subscribed), "
        f"{report.suppressed} suppressed, {report.inactive} bounced or blocked, "
        f"{report.bad_rows} bad row(s)" + (" (listed above)." if report.bad_rows else ".")
    )
    if added["pending"] and not confirmed:
        out.print("Pending subscriptions receive no digest until the reader confirms.")


@subscribers.command("export")
@_list_option()
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="CSV file to write (default: standard output).",
)
@click.pass_obj
def subscribers_export(state: _State, list_slug: str | None, output: Path | None) -> None:
    """Write a list's subscriptions as CSV, in the columns `subscribers import` reads."""
    from subscribers import csv_io

    slug = state.list_slug(list_slug)
    with pipeline.runtime(state.settings, state.now()) as rt, rt.sessions() as session:
        list_id = membership.get_list(session, slug).id
        if output is None:
            csv_io.export_csv(session, list_id, sys.stdout)
            return
        try:
            with output.open("w", encoding="utf-8", newline="") as handle:
                written = csv_io.export_csv(session, list_id, handle)
        except OSError as exc:
            raise DigestError(
                f"{output}: cannot write: {exc.strerror}", hint="choose a writable path"
            ) from None
    out.print(f"Wrote {written} subscription(s) of {slug} to {output}")


@subscribers.command("suppress")
@click.argument("address")
@click.option(
    "--reason",
    type=click.Choice(["manual", "hard_bounce", "complaint"]),
    default="manual",
    show_default=True,
    help="Why the address is never to be mailed again.",
)
@click.option("--detail", default="", help="A note kept with the suppression.")
@click.option(
    "--remove", is_flag=True, help="Lift a manual suppression (bounces and complaints stay)."
)
@click.pass_obj
def subscribers_suppress(
    state: _State, address: str, reason: str, detail: str, remove: bool
) -> None:
    """Never mail ADDRESS again, on any list; no import or sign-up can undo it."""
    from subscribers import suppression
    from subscribers.addresses import normalise_address

    email = normalise_address(address)
    with (
        pipeline.runtime(state.settings, state.now()) as rt,
        db.transaction(rt.sessions) as session,
    ):
        if remove:
            suppression.lift_manual_suppression(session, email)
            out.print(f"Lifted the manual suppression of {email}")
            return
        added = suppression.suppress(session, email, reason, state.now(), detail)
    out.print(f"Suppressed {email} ({reason})" if added else f"Already suppressed: {email}")


# ----------------------------------------------------------------------------- web


@cli.command()
@click.option("--host", help="Address to listen on (default: web.host in config.yaml).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: web.port).")
@click.option("--no-web", is_flag=True, help="Do not serve the web app.")
@click.option("--no-scheduler", is_flag=True, help="Do not collect, draft or send on schedule.")
@click.option("--no-worker", is_flag=True, help="Do not run the delivery worker.")
@click.option("--log-json", is_flag=True, help="Log JSON lines (also service.log_json).")
@click.option("--clock-offset", type=float, default=0.0, hidden=True, help="Seconds (tests).")
@click.pass_obj
def serve(
    state: _State,
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
    from digest import logs
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


@cli.command()
@click.pass_obj
def schedule(state: _State) -> None:
    """Each scheduled list's next collect, draft and send, in its zone and in UTC."""
    from zoneinfo import ZoneInfo

    from digest.schedule import plan

    planned = plan(state.settings, state.now())
    if not planned:
        out.print("No list has a schedule: add schedule.send to a list in config.yaml.")
        return
    table = Table("list", "job", "list's time", "UTC", title="Next scheduled runs")
    for item in planned:
        zone = ZoneInfo(item.timezone)
        jobs = [
            ("collect", item.next_collect),
            ("draft", item.next_draft),
            ("send", item.next_send),
        ]
        if item.waves:
            # Local-time delivery: the send is a wave per zone, between these two moments.
            jobs[2:] = [
                ("send: first zone (UTC+14)", item.waves[0]),
                ("send: list's zone", item.next_send),
                ("send: last zone (UTC-12)", item.waves[1]),
            ]
        for job, moment in jobs:
            if moment is None:
                continue
            table.add_row(
                item.list_slug,
                job,
                f"{moment.astimezone(zone):%a %Y-%m-%d %H:%M %Z} ({item.timezone})",
                f"{moment.astimezone(UTC):%a %Y-%m-%d %H:%M} UTC",
            )
    out.print(table)


@cli.group()
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


# ----------------------------------------------------------------------------- db


@cli.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@click.pass_obj
def db_upgrade(state: _State) -> None:
    """Apply pending migrations."""
    engine = db.make_engine(state.settings.database_url)
    try:
        applied = db.upgrade(engine)
        revision = db.current_revision(engine)
    finally:
        engine.dispose()
    if applied:
        out.print(f"Applied {len(applied)} migration(s): {', '.join(applied)} (now at {revision})")
    else:
        out.print(f"Database is up to date (at {revision})")


# ----------------------------------------------------------------------------- output


class _StopFlag:
    """Set by SIGTERM or Ctrl-C: finish the batch in hand, then stop.

    The handler only assigns a flag and waiting polls it: a lock taken in a signal handler
    (an Event's, say) deadlocks when the interrupted code of the same thread holds it."""

    def __init__(self) -> None:
        self.requested = False
        signal.signal(signal.SIGTERM, self._set)
        signal.signal(signal.SIGINT, self._set)

    def _set(self, _signum: int, _frame: object) -> None:
        self.requested = True

    def wait(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.requested and time.monotonic() < deadline:
            time.sleep(0.2)


@contextmanager
def _progress() -> Iterator[pipeline.Progress]:
    """A progress bar with rate and ETA on a terminal; nothing when output is redirected."""
    if not err.is_terminal:
        yield lambda _done, _total: None
        return
    with Progress(
        TextColumn("sending"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("send", total=None, rate="")
        started = time.monotonic()

        def update(done: int, total: int) -> None:
            elapsed = max(time.monotonic() - started, 1e-9)
            bar.update(task, completed=done, total=total, rate=f"{done / elapsed:.0f} msg/s")

        yield update


def _print_collect(report: pipeline.CollectReport) -> None:
    failed = [s for s in report.sources if s.error]
    out.print(
        f"Collected {report.new_articles} new article(s) from {len(report.sources)} source(s)"
        + (f", {len(failed)} failed" if failed else "")
    )
    for source in report.sources:
        if source.error:
            out.print(f"  [red]✗[/] {source.name}: {source.error}", markup=True)
        for problem in source.problems:
            out.print(f"  [yellow]![/] {source.name}: {problem}", markup=True)
        if source.skipped:
            out.print(f"  [dim]-[/] {source.name}: not fetched: {source.skipped}", markup=True)


def _print_issue(issue: pipeline.IssueRef) -> None:
    out.print(
        f"Issue #{issue.number} of {issue.list_slug}: “{issue.subject}” — "
        f"{issue.article_count} article(s), status {issue.status}"
    )


def _print_checks(results: list[Check]) -> None:
    for check in results:
        mark = "[green]✓[/]" if check.ok else ("[red]✗[/]" if check.blocking else "[yellow]![/]")
        out.print(f"  {mark} {check.name}: {check.detail}", markup=True)


def _print_send(report: pipeline.SendReport) -> None:
    if report.blocked:
        out.print(f"Not sent: {report.blocked}.")
        return
    if report.uncertain:
        out.print(
            f"{report.uncertain} message(s) uncertain: the server did not answer after the data "
            "(see `digest status`; delivery.retry_uncertain retries them)"
        )
    totals = report.totals
    delivered = totals.get("sent", 0)
    if report.sent == 0 and report.deferred == 0 and report.failed == 0:
        out.print(
            f"Nothing new to send: this issue was already delivered to {delivered} recipient(s)"
            f" ({report.transport})."
        )
    else:
        out.print(
            f"Delivered to {report.sent} recipient(s) via {report.transport}"
            f" ({report.deferred} deferred, {report.failed} failed, {report.skipped} skipped)"
        )
    if totals.get("deferred"):
        out.print(f"{totals['deferred']} deferred message(s) will be retried by the next send.")


def main() -> None:
    cli(prog_name="digest")
