"""The main job, `digest run`: collect, compose this week's issue, write its preview, deliver it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from digest.delivery.transport import Transport
from digest.pipeline.collecting import CollectReport, collect
from digest.pipeline.composing import IssueRef, compose
from digest.pipeline.delivering import SendReport, send
from digest.pipeline.rendering import IssueRenderings, preview
from digest.pipeline.runtime import Runtime


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
