"""The one place that chains the steps of an issue: collect -> edit -> compose -> render -> deliver.

The CLI, the scheduler and the web app call these functions; they never re-implement them.
Every step is idempotent: running it twice changes nothing the second time.

Each name is imported from its step's module on first use, not when the package is: a command
that only sends (or only reads bounces) never loads the collector's libraries (trafilatura,
feedparser, the language models), about a quarter of `digest send`'s start-up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Imported now, as every step needs it: and the function `runtime` must be bound after its
# module, whose first import makes the package's attribute `runtime` that module.
from digest.pipeline.runtime import Runtime, open_runtime, runtime, sync_config

if TYPE_CHECKING:
    from digest.delivery.outbox import Pending
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
        Preview,
        archive,
        checks,
        preview,
        render,
        web_version,
    )
    from digest.pipeline.running import RunReport, run

# Each name and the module it comes from.
_MODULES = {
    "Pending": "digest.delivery.outbox",
    "make_transport": "digest.delivery.transport_factory",
    "BounceReport": "digest.pipeline.bouncing",
    "process_bounces": "digest.pipeline.bouncing",
    "CollectReport": "digest.pipeline.collecting",
    "SourceReport": "digest.pipeline.collecting",
    "collect": "digest.pipeline.collecting",
    "IssueRef": "digest.pipeline.composing",
    "compose": "digest.pipeline.composing",
    "IssueDeliveries": "digest.pipeline.delivering",
    "Progress": "digest.pipeline.delivering",
    "SendReport": "digest.pipeline.delivering",
    "deliver_pending": "digest.pipeline.delivering",
    "delivery_status": "digest.pipeline.delivering",
    "send": "digest.pipeline.delivering",
    "Preview": "digest.pipeline.rendering",
    "archive": "digest.pipeline.rendering",
    "checks": "digest.pipeline.rendering",
    "preview": "digest.pipeline.rendering",
    "render": "digest.pipeline.rendering",
    "web_version": "digest.pipeline.rendering",
    "RunReport": "digest.pipeline.running",
    "run": "digest.pipeline.running",
}

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


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once: later uses are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_MODULES})
