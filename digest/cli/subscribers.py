"""The `digest subscribers` commands: add, list, remove, import, export and suppress."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.table import Table

from digest import db, pipeline
from digest.cli import importing
from digest.cli.context import Invocation, list_option
from digest.cli.output import err, out, progress_bar
from digest.errors import DigestError
from subscribers import membership
from subscribers.fields import FieldError, clean_timezone
from subscribers.states import SubscriberStatus, SubscriptionStatus, SuppressionReason


@click.group()
def subscribers() -> None:
    """Add, list, remove, import, export and suppress subscribers."""


subscribers.add_command(importing.subscribers_import)


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
    """Subscribe EMAIL (confirmed: you vouch for their consent; a reader waiting for
    confirmation is confirmed)."""
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
        subscription, joined = membership.add_subscriber(
            session, mailing_list, email, name=name, now=now
        )
        if zone is not None:
            subscription.subscriber.timezone = zone
        address = subscription.subscriber.email
    if joined == "confirmed":
        out.print(f"Confirmed {address} → {slug} (was waiting for confirmation)")
    else:
        out.print(f"{'Added' if joined == 'added' else 'Already subscribed:'} {address} → {slug}")


@subscribers.command("list")
@list_option()
@click.option(
    "--status",
    "shown",
    type=click.Choice([*(s.value for s in SubscriptionStatus), "all"]),
    default=SubscriptionStatus.CONFIRMED.value,
    show_default=True,
    help="Whose subscriptions to show (bounced, complained or blocked readers count as "
    "unsubscribed).",
)
@click.option("--all", "show_all", is_flag=True, help="The same as --status all.")
@click.pass_obj
def subscribers_list(state: Invocation, list_slug: str | None, shown: str, show_all: bool) -> None:
    """Show the subscribers of a list: the confirmed ones, or those of --status."""
    slug = state.list_slug(list_slug)
    status = None if show_all or shown == "all" else SubscriptionStatus(shown)
    with pipeline.runtime(state.settings, state.now()) as rt, rt.sessions() as session:
        mailing_list = membership.get_list(session, slug)
        title = f"{slug} subscribers" + (f" ({status})" if status else "")
        table = Table("email", "name", "status", "since", title=title)
        count = 0
        for subscriber, subscription in membership.iter_subscriptions(
            session, mailing_list, status=status
        ):
            count += 1
            table.add_row(
                subscriber.email,
                subscriber.name or "",
                subscription.status
                if subscriber.status == SubscriberStatus.ACTIVE
                else subscriber.status,
                f"{subscription.created_at:%Y-%m-%d}",
            )
        counts = membership.count_by_status(session, mailing_list.id)
    out.print(table)
    others = [
        f"{counts[other]} {other} (--status {other})"
        for other in SubscriptionStatus
        if status is not None and other != status and counts[other]
    ]
    out.print(f"{count} subscriber(s)" + (f"; also {', '.join(others)}" if others else ""))


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


@subscribers.command("confirm")
@click.argument("emails", nargs=-1, metavar="[EMAIL]...")
@list_option()
@click.option(
    "--resend",
    is_flag=True,
    help="Mail the confirmation link again to the list's pending readers (or to EMAILs).",
)
@click.pass_obj
def subscribers_confirm(
    state: Invocation, emails: tuple[str, ...], list_slug: str | None, resend: bool
) -> None:
    """Mail pending readers their confirmation link again (--resend). No second mail goes
    within readers.resend_confirmation_minutes of the last one."""
    from digest.pipeline.confirming import resend_confirmations
    from subscribers.addresses import normalise_address

    if not resend:
        raise click.UsageError(
            "say --resend to mail the confirmation again "
            "(`digest subscribers add EMAIL` confirms a reader on your word)"
        )
    slug = state.list_slug(list_slug)
    addresses = [normalise_address(e) for e in emails] or None
    with (
        pipeline.runtime(state.settings, state.now()) as rt,
        progress_bar("mailing", "mail") as progress,
    ):
        with rt.sessions() as session:
            list_id = membership.get_list(session, slug).id
        report = resend_confirmations(rt, list_id, addresses, state.now(), progress)
    for address, status in report.not_pending.items():
        out.print(f"{address} is not waiting for confirmation on {slug} ({status})")
    for failure in report.failed:
        err.print(f"{failure}", markup=False)
    minutes = state.settings.readers.resend_confirmation_minutes
    out.print(
        f"Mailed the confirmation to {report.sent} pending reader(s) of {slug}"
        + (f", {len(report.failed)} failed (listed above)" if report.failed else "")
        + (
            f"; {report.too_soon} had one within the last {minutes:g} minute(s)"
            " (readers.resend_confirmation_minutes)"
            if report.too_soon
            else ""
        )
        + "."
    )
    if report.failed:
        sys.exit(1)


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
