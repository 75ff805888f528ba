"""The one place that chains the steps of an issue: collect -> edit -> compose -> render -> deliver.

The CLI, the scheduler and the web app call these functions; they never re-implement them.
Every step is idempotent: running it twice changes nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from digest.delivery.outbox import Pending
from digest.delivery.transport import Transport
from digest.delivery.transport_factory import make_transport
from digest.pipeline.bouncing import BounceReport, process_bounces
from digest.pipeline.collecting import CollectReport, SourceReport, collect
from digest.pipeline.composing import IssueRef, compose
from digest.pipeline.delivering import (
    IssueDeliveries,
    Progress,
    SendReport,
    deliver_pending,
    delivery_status,
    send,
)
from digest.pipeline.rendering import (
    IssueRenderings,
    Preview,
    archive,
    checks,
    preview,
    render,
    web_version,
)
from digest.pipeline.runtime import Runtime, open_runtime, runtime, sync_config

__all__ = [
    "BounceReport",
    "CollectReport",
    "IssueDeliveries",
    "IssueRef",
    "Pending",
    "Preview",
    "Progress",
    "RunReport",
    "Runtime",
    "SendReport",
    "SourceReport",
    "archive",
    "checks",
    "collect",
    "compose",
    "deliver_pending",
    "delivery_status",
    "make_transport",
    "open_runtime",
    "preview",
    "process_bounces",
    "render",
    "run",
    "runtime",
    "send",
    "sync_config",
    "web_version",
]


@dataclass
class RunReport:
    collected: CollectReport
    issue: IssueRef | None
    preview: Path | None
    delivery: SendReport
    outbox: Path | None


def run(
    rt: Runtime, list_slug: str, now: datetime, transport: Transport | None = None
) -> RunReport:
    """The main job: collect, compose this week's issue, write its preview, deliver it."""
    collected = collect(rt, now)
    # Composed once, each rendering made once: the preview is what the send sends.
    composed = compose(rt, list_slug, now)
    renderings = IssueRenderings(rt)
    shown = (
        preview(rt, list_slug, now, composed=composed, renderings=renderings) if composed else None
    )
    delivery = send(rt, list_slug, now, transport, composed=composed, renderings=renderings)
    outbox_dir = (
        rt.settings.resolve(rt.settings.delivery.file.directory)
        if rt.settings.delivery.transport == "file" and transport is None
        else None
    )
    return RunReport(
        collected=collected,
        issue=delivery.issue,
        preview=shown.path if shown else None,
        delivery=delivery,
        outbox=outbox_dir,
    )
