"""What the commands print: the two consoles, the send's progress bar and the reports."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from digest.states import DeliveryStatus

if TYPE_CHECKING:  # every command prints through here: the pipeline is the commands' to import
    from digest import pipeline
    from digest.render.checks import Check

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

# `digest run` and `digest collect` after their report, when every source failed: a cron job
# or a monitor sees that nothing new could be collected (one failing source is only a warning).
EXIT_EVERY_SOURCE_FAILED = 3


@contextmanager
def progress_bar(what: str = "sending", unit: str = "msg") -> Iterator[pipeline.Progress]:
    """A progress bar with rate (UNITs a second) and ETA on a terminal; nothing when output is
    redirected."""
    if not err.is_terminal:
        yield lambda _done, _total: None
        return
    with Progress(
        TextColumn(what),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task(what, total=None, rate="")
        started = time.monotonic()

        def update(done: int, total: int) -> None:
            elapsed = max(time.monotonic() - started, 1e-9)
            bar.update(task, completed=done, total=total, rate=f"{done / elapsed:.0f} {unit}/s")
            # Drawn at each step too, not only by the 10 Hz refresh: a quick run shows its end.
            bar.refresh()

        yield update


def print_collect(report: pipeline.CollectReport) -> None:
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


def exit_if_every_source_failed(report: pipeline.CollectReport) -> None:
    """One line and a hint, then exit EXIT_EVERY_SOURCE_FAILED, if no source worked."""
    if not report.every_source_failed:
        return
    failed = sum(1 for s in report.sources if s.error)
    err.print(
        f"[bold red]error:[/] every source failed ({failed} of {len(report.sources)}): "
        "nothing was collected",
        markup=True,
    )
    err.print(
        "[dim]hint:[/] see each source's error above and fix its url in config.yaml; "
        "`digest sources` shows their health",
        markup=True,
    )
    sys.exit(EXIT_EVERY_SOURCE_FAILED)


def print_issue(issue: pipeline.IssueRef) -> None:
    out.print(
        f"Issue #{issue.number} of {issue.list_slug}: “{issue.subject}” — "
        f"{issue.article_count} article(s), status {issue.status}"
    )


def print_checks(results: list[Check]) -> None:
    for check in results:
        mark = "[green]✓[/]" if check.ok else ("[red]✗[/]" if check.blocking else "[yellow]![/]")
        out.print(f"  {mark} {check.name}: {check.detail}", markup=True)


def print_send(report: pipeline.SendReport) -> None:
    if report.blocked:
        out.print(f"Not sent: {report.blocked}.")
        return
    if report.uncertain:
        out.print(
            f"{report.uncertain} message(s) uncertain: the server did not answer after the data "
            "(see `digest status`; delivery.retry_uncertain retries them)"
        )
    totals = report.totals
    delivered = totals.get(DeliveryStatus.SENT, 0)
    if report.sent == 0 and report.deferred == 0 and report.failed == 0:
        if report.pending.total:
            out.print(f"Nothing sent by this worker: {pending_text(report.pending)}.")
        else:
            out.print(
                f"Nothing new to send: this issue was already delivered to {delivered} "
                f"recipient(s) ({report.transport})."
            )
    else:
        out.print(
            f"Delivered to {report.sent} recipient(s) via {report.transport}"
            f" ({report.deferred} deferred, {report.failed} failed, {report.skipped} skipped)"
        )
    deferred = totals.get(DeliveryStatus.DEFERRED)
    if deferred:
        out.print(f"{deferred} deferred message(s) will be retried by the next send.")


def pending_text(pending: pipeline.Pending) -> str:
    """Where an issue's rows stand, e.g. "9800 delivered, 200 being sent by another worker"."""
    parts = [f"{pending.delivered} delivered"]
    if pending.being_sent:
        parts.append(f"{pending.being_sent} being sent by another worker")
    if pending.abandoned:
        parts.append(
            f"{pending.abandoned} claimed by a worker that stopped (taken back by the next pass)"
        )
    if pending.queued:
        parts.append(f"{pending.queued} queued")
    if pending.deferred:
        until = pending.next_retry_at
        when = f" (next retry {until:%Y-%m-%d %H:%M:%S} UTC)" if until else ""
        parts.append(f"{pending.deferred} deferred{when}")
    return ", ".join(parts)
