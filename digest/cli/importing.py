"""`digest subscribers import`: a CSV file of readers, from digest or another service."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

import click

from digest import pipeline
from digest.cli.context import Invocation, list_option
from digest.cli.output import err, out, progress_bar
from digest.errors import DigestError
from subscribers import membership
from subscribers.states import SubscriptionStatus


@click.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@list_option()
@click.option(
    "--confirmed",
    is_flag=True,
    help="Import as confirmed the rows whose own status says nothing or confirmed (subscribed, "
    "active…): only if you hold each reader's prior consent to this list. Without it every "
    "row is pending until the reader confirms.",
)
@click.option("--consent", "wording", help="How they consented (default: the file's name).")
@click.option(
    "--map",
    "mapping",
    metavar="FIELD=COLUMN,…",
    help="Which of the file's columns hold email, name, status, topics and timezone, for a "
    "file whose header import does not recognise, e.g. --map 'email=E-mail,name=Full name'.",
)
@click.pass_obj
def subscribers_import(
    state: Invocation,
    file: Path,
    list_slug: str | None,
    confirmed: bool,
    wording: str | None,
    mapping: str | None,
) -> None:
    """Import subscribers from a CSV file with a header: digest's own columns
    (email,name,status,topics,timezone) or an export of Mailchimp, Substack, Buttondown or
    listmonk; --map for any other.

    Bad rows are reported with their line numbers and skipped; unsubscribed and suppressed
    addresses are never subscribed again. Safe to run twice."""
    from subscribers.csv_import import import_csv
    from subscribers.csv_layouts import parse_map
    from subscribers.csv_rows import BadRow, CsvFormatError
    from subscribers.fields import offered_topics

    slug = state.list_slug(list_slug)
    columns = parse_map(mapping) if mapping is not None else None
    try:
        handle = file.open(encoding="utf-8-sig", errors="replace", newline="")
    except OSError as exc:
        raise DigestError(
            f"{file}: cannot read: {exc.strerror}", hint="give the path of a CSV file"
        ) from None

    def bad_row(row: BadRow) -> None:
        err.print(f"{file.name}:{row.line}: {row.problem}", markup=False)

    with (
        handle,
        pipeline.runtime(state.settings, state.now()) as rt,
        progress_bar("importing", "row") as progress,
    ):
        with rt.sessions() as session:
            list_id = membership.get_list(session, slug).id
        lines = _lines_in(handle) if err.is_terminal else 0
        try:
            report = import_csv(
                rt.engine,
                handle,
                list_id=list_id,
                offered_topics=offered_topics(state.settings),
                confirmed=confirmed,
                consent_wording=wording or f"imported from {file.name}",
                now=state.now(),
                on_bad_row=bad_row,
                mapping=columns,
                # Lines, not rows: a quoted cell may span lines; the bar ends full anyway.
                on_batch=lambda rows: progress(rows, max(rows, lines)),
            )
        except CsvFormatError as exc:
            raise CsvFormatError(f"{file}: {exc.message}", hint=exc.hint) from None
    added = report.added
    source = "" if report.exporter == "digest" else f" (columns of {report.exporter})"
    out.print(
        f"Read {report.rows} row(s) into {slug}{source}: "
        f"added {added[SubscriptionStatus.CONFIRMED]} confirmed, "
        f"{added[SubscriptionStatus.PENDING]} pending, "
        f"{added[SubscriptionStatus.UNSUBSCRIBED]} unsubscribed; "
        f"{report.now_unsubscribed} unsubscribed now."
    )
    if report.confirmed_now:
        out.print(
            f"Confirmed {report.confirmed_now} who were waiting for confirmation; "
            f"{report.already_confirmed} were confirmed already."
        )
    out.print(
        f"Skipped {report.already_on_list} already on the list, "
        f"{report.kept_unsubscribed} who had unsubscribed (never re-subscribed), "
        f"{report.suppressed} suppressed, {report.inactive} bounced or blocked, "
        f"{report.bad_rows} bad row(s)" + (" (listed above)." if report.bad_rows else ".")
    )
    # A service's export has many columns digest has no use for; in a file of one's own an
    # ignored column may be a misspelt one.
    if report.ignored_columns and report.exporter in ("digest", "--map"):
        out.print(
            "Ignored column(s): "
            + ", ".join(repr(c) for c in report.ignored_columns)
            + " (--map reads others)."
        )
    if report.pending_why:
        why = "; ".join(f"{n} as {reason}" for reason, n in report.pending_why.most_common())
        out.print(
            f"{sum(report.pending_why.values())} pending: {why}. They receive no digest until "
            f"they confirm; `digest subscribers confirm --resend --list {slug}` mails them the "
            "link."
        )


def _lines_in(handle: TextIO) -> int:
    """How many lines the file holds past its header, then back to its start: the bar's end."""
    count = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.buffer.read(1 << 20), b""))
    handle.buffer.seek(0)
    return max(count - 1, 0)
