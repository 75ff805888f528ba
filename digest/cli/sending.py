"""The commands that deliver an issue and read what came back: send, worker, bounces."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import click

from digest import pipeline
from digest.cli.context import Invocation, list_option
from digest.cli.output import err, out, print_issue, print_send, progress_bar
from digest.delivery.growing_wait import PassWaits
from digest.errors import HeartbeatLost, SenderRefused, ServerUnavailable
from digest.stopping import StopAfterBatch


@click.command()
@list_option()
@click.pass_obj
def send(state: Invocation, list_slug: str | None) -> None:
    """Deliver this week's issue to every subscriber who has not received it."""
    slug = state.list_slug(list_slug)
    with pipeline.runtime(state.settings, state.now()) as rt, progress_bar() as progress:
        report = pipeline.send(rt, slug, state.now(), progress=progress)
    if report.issue is None:
        out.print(f"No new articles for {slug}: no issue this week, nothing sent.")
        return
    print_issue(report.issue)
    print_send(report)


@click.command()
@click.option("--once", is_flag=True, help="One pass over the sends under way, then exit.")
@click.option(
    "--interval", default=30.0, show_default=True, help="Seconds between passes (without --once)."
)
@click.pass_obj
def worker(state: Invocation, once: bool, interval: float) -> None:
    """Deliver the issues that have started sending, alongside any other workers.

    On PostgreSQL any number of workers, on any number of machines, share a send; each
    message goes out once. Stops after the current batch on Ctrl-C or SIGTERM. While the SMTP
    server cannot take mail, the wait between passes starts at the interval (a second at
    least) and doubles, up to delivery.retry_delay_seconds (PassWaits)."""
    stop = _StopFlag()
    waits = PassWaits(interval, state.settings.delivery.retry_delay_seconds)
    with pipeline.runtime(state.settings, state.now()) as rt:
        while not stop.requested:
            with progress_bar() as bar:

                def progress(done: int, total: int) -> None:
                    bar(done, total)
                    if stop.requested:
                        raise StopAfterBatch  # the batch in hand is sent and recorded

                try:
                    reports = pipeline.deliver_pending(rt, state.now(), progress=progress)
                except StopAfterBatch:
                    out.print("Stopped after the current batch; `digest worker` resumes the send.")
                    return
                except (SenderRefused, HeartbeatLost, ServerUnavailable) as exc:
                    if once:
                        raise
                    # No reader's fault: the rows wait, as they were, for the next pass.
                    wait = waits.after(exc)
                    _say_and_wait(exc, wait)
                    reports = []
                else:
                    wait = waits.after(None)
            for report in reports:
                if report.issue is not None:
                    print_issue(report.issue)
                print_send(report)
            if once:
                break
            stop.wait(wait)


def _say_and_wait(exc: SenderRefused | HeartbeatLost | ServerUnavailable, interval: float) -> None:
    err.print(f"[bold red]error:[/] {exc.message}", markup=True)
    err.print(f"[dim]hint:[/] {exc.hint}", markup=True)
    err.print(f"Trying again in {interval:g} s.")


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


@click.group()
def bounces() -> None:
    """Bounce handling."""


@bounces.command("process")
@click.argument("path", type=click.Path(path_type=Path, exists=True))
@click.pass_obj
def bounces_process(state: Invocation, path: Path) -> None:
    """Read bounces and complaint reports from an mbox file or a Maildir folder: suppress dead
    addresses and complainers, count soft bounces."""
    with pipeline.runtime(state.settings, state.now()) as rt:
        report = pipeline.process_bounces(rt, path, state.now())
    out.print(
        f"Read {report.messages} message(s): {report.hard} hard bounce(s) suppressed, "
        f"{report.soft} soft bounce(s) noted, {report.complaints} complaint(s) suppressed, "
        f"{report.unknown} naming no known subscriber"
        + (
            f"; {report.already_processed} processed before, skipped"
            if report.already_processed
            else ""
        )
        + (f"; {len(report.unreadable)} unreadable, skipped" if report.unreadable else "")
    )
    for failure in report.unreadable:
        err.print(f"warning: cannot read bounce message {failure}", markup=False)


# ----------------------------------------------------------------------------- subscribers
