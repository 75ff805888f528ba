"""Structured logs for the service: one line per event, as key=value text or JSON lines."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

# What an event is about, passed as logging's extra={...}; shown when present.
EVENT_FIELDS = ("list", "issue", "source", "job", "scheduled_for", "outcome")


def event_fields(record: logging.LogRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in EVENT_FIELDS if hasattr(record, name)}


def _timestamp(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


class JsonLines(logging.Formatter):
    """{"at": ..., "level": ..., "logger": ..., "message": ..., "list": ..., ...}"""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "at": _timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **event_fields(record),
        }
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextLines(logging.Formatter):
    """2026-11-23T07:00:00.000+00:00 INFO digest.schedule message list=weekly job=send"""

    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{k}={v}" for k, v in event_fields(record).items())
        line = f"{_timestamp(record)} {record.levelname} {record.name} {record.getMessage()}"
        line = f"{line} {fields}" if fields else line
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure(json_lines: bool, verbose: bool) -> None:
    """Route every logger (digest's, uvicorn's, APScheduler's) to stderr, one event a line."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines() if json_lines else TextLines())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    # APScheduler logs every run and Alembic every check at INFO; their warnings still show.
    for noisy in ("apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(logging.INFO if verbose else logging.WARNING)
