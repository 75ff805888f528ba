"""The `digest subscribers` commands: add, list, remove, import, export and suppress."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.table import Table

from digest import db, pipeline
from digest.cli.context import Invocation, list_option
from digest.cli.output import err, out
from digest.errors import DigestError
from subscribers import membership
from subscribers.fields import FieldError, clean_timezone
from subscribers.states import SubscriptionStatus, SuppressionReason


@click.group()
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
@list_option()
@click.pass_obj
def subscribers_add(
    state: Invocation, email: str, name: str | None, zone: str | None, list_slug: str | None
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
@list_option()
@click.option("--all", "show_all", is_flag=True, help="Include unsubscribed and pending.")
@click.pass_obj
def subscribers_list(state: Invocation, list_slug: str | None, show_all: bool) -> None:
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
@list_option()
@click.pass_obj
def subscribers_remove(state: Invocation, email: str, list_slug: str | None) -> None:
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
@list_option()
@click.option(
    "--confirmed",
    is_flag=True,
    help="Import as confirmed: only if you hold each reader's prior consent to this list. "
    "Without it every row is pending until the reader confirms.",
)
@click.option("--consent", "wording", help="How they consented (default: the file's name).")
@click.pass_obj
def subscribers_import(
    state: Invocation, file: Path, list_slug: str | None, confirmed: bool, wording: str | None
) -> None:
    """Import subscribers from a CSV file with a header (email,name,status,topics,timezone).

    Bad rows are reported with their line numbers and skipped; unsubscribed and suppressed
    addresses are never subscribed again. Safe to run twice."""
    from subscribers.csv_import import import_csv
    from subscribers.csv_rows import BadRow, CsvFormatError
    from subscribers.fields import offered_topics

    slug = state.list_slug(list_slug)
    try:
        handle = file.open(encoding="utf-8-sig", errors="replace", newline="")
    except OSError as exc:
        raise DigestError(
            f"{file}: cannot read: {exc.strerror}", hint="give the path of a CSV file"
        ) from None

    def bad_row(row: BadRow) -> None:
        err.print(f"{file.name}:{row.line}: {row.problem}", markup=False)

    with handle, pipeline.runtime(state.settings, state.now()) as rt:
        with rt.sessions() as session:
            list_id = membership.get_list(session, slug).id
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
            )
        except CsvFormatError as exc:
            raise CsvFormatError(f"{file}: {exc.message}") from None
    added = report.added
    out.print(
        f"Read {report.rows} row(s) into {slug}: "
        f"added {added[SubscriptionStatus.CONFIRMED]} confirmed, "
        f"{added[SubscriptionStatus.PENDING]} pending, "
        f"{added[SubscriptionStatus.UNSUBSCRIBED]} unsubscribed; "
        f"{report.now_unsubscribed} unsubscribed now."
    )
    out.print(
        f"Skipped {report.already_on_list} already on the list, "
        f"{report.kept_unsubscribed} who had unsubscribed (never re-subscribed), "
        f"{report.suppressed} suppressed, {report.inactive} bounced or blocked, "
        f"{report.bad_rows} bad row(s)" + (" (listed above)." if report.bad_rows else ".")
    )
    if added[SubscriptionStatus.PENDING] and not confirmed:
        out.print("Pending subscriptions receive no digest until the reader confirms.")


@subscribers.command("export")
@list_option()
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="CSV file to write (default: standard output).",
)
@click.pass_obj
def subscribers_export(state: Invocation, list_slug: str | None, output: Path | None) -> None:
    """Write a list's subscriptions as CSV, in the columns `subscribers import` reads."""
    from subscribers.csv_export import export_csv

    slug = state.list_slug(list_slug)
    with pipeline.runtime(state.settings, state.now()) as rt, rt.sessions() as session:
        list_id = membership.get_list(session, slug).id
        if output is None:
            export_csv(session, list_id, sys.stdout)
            return
        try:
            with output.open("w", encoding="utf-8", newline="") as handle:
                written = export_csv(session, list_id, handle)
        except OSError as exc:
            raise DigestError(
                f"{output}: cannot write: {exc.strerror}", hint="choose a writable path"
            ) from None
    out.print(f"Wrote {written} subscription(s) of {slug} to {output}")


@subscribers.command("suppress")
@click.argument("address")
@click.option(
    "--reason",
    # The values, not the members: click matches an Enum member by its name. By hand first.
    type=click.Choice(
        sorted((r.value for r in SuppressionReason), key=lambda v: v != SuppressionReason.MANUAL)
    ),
    default=SuppressionReason.MANUAL.value,
    show_default=True,
    help="Why the address is never to be mailed again.",
)
@click.option("--detail", default="", help="A note kept with the suppression.")
@click.option(
    "--remove", is_flag=True, help="Lift a manual suppression (bounces and complaints stay)."
)
@click.pass_obj
def subscribers_suppress(
    state: Invocation, address: str, reason: str, detail: str, remove: bool
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
        added = suppression.suppress(session, email, SuppressionReason(reason), state.now(), detail)
    out.print(f"Suppressed {email} ({reason})" if added else f"Already suppressed: {email}")


# ----------------------------------------------------------------------------- web
