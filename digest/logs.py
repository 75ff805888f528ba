"""Structured logs for the service: one line per event, as key=value text or JSON lines."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

from subscribers.reader_urls import CLICK, PREFIXES

# What an event is about, passed as logging's extra={...}; shown when present.
EVENT_FIELDS = ("list", "issue", "source", "job", "scheduled_for", "outcome")


def event_fields(record: logging.LogRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in EVENT_FIELDS if hasattr(record, name)}


# What stands for a secret cut out of a line.
REDACTED = "[redacted]"
_SLASH = r"(?:/|%2[fF]|%252[fF])"  # a slash, escaped once or twice (a next= of a next=)
# Reader links act for the reader with no other proof: /u/TOKEN unsubscribes, /p/TOKEN changes
# preferences, /confirm/TOKEN subscribes. The token ends where the path segment does.
# Percent-escapes are part of it (a mail client may escape any character of a link, and the
# page still opens): the whole segment goes, escapes and all, up to a slash, escaped or not.
# A counted story link's first segment (/c/WHO/…) may be a reader's part (analytics.per_reader).
_READER_PAGES = "|".join(re.escape(prefix.lstrip("/")) for prefix in (*PREFIXES.values(), CLICK))
_READER_LINK = re.compile(
    rf"({_SLASH}(?:{_READER_PAGES}){_SLASH})(?:[^/%?#&\s\"'<>]|%(?![2][fF])[0-9a-fA-F]{{2}}|%)+"
)
# Credentials in a header or a query: "Authorization: Bearer KEY", "?api_key=KEY".
_BEARER = re.compile(r"\b(Bearer|Basic)\s+[^\s\"',;]+", re.IGNORECASE)
_QUERY_SECRET = re.compile(
    r"([?&](?:api_?key|key|token|access_token|password|secret)=)[^&#\s\"']+", re.IGNORECASE
)


def redact(text: str) -> str:
    """The text with reader-link tokens and credentials replaced by REDACTED."""
    text = _READER_LINK.sub(rf"\g<1>{REDACTED}", text)
    text = _BEARER.sub(rf"\g<1> {REDACTED}", text)
    return _QUERY_SECRET.sub(rf"\g<1>{REDACTED}", text)


class Redact(logging.Filter):
    """On the handler, so every logger's lines pass through it (uvicorn's access log too): the
    message, its arguments, the event fields and a traceback's text are redacted before any
    formatter sees them. It never drops a line."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        for name in EVENT_FIELDS:
            value = getattr(record, name, None)
            if isinstance(value, str):
                setattr(record, name, redact(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


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
        error = _traceback(self, record)
        if error:
            line["error"] = error
        return json.dumps(line, ensure_ascii=False, default=str)


class TextLines(logging.Formatter):
    """2026-11-23T07:00:00.000+00:00 INFO digest.schedule message list=weekly job=send"""

    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{k}={v}" for k, v in event_fields(record).items())
        line = f"{_timestamp(record)} {record.levelname} {record.name} {record.getMessage()}"
        line = f"{line} {fields}" if fields else line
        error = _traceback(self, record)
        if error:
            line += "\n" + error
        return line


def _traceback(formatter: logging.Formatter, record: logging.LogRecord) -> str | None:
    """The exception's traceback, as the Redact filter left it when it ran."""
    if record.exc_text:
        return record.exc_text
    return formatter.formatException(record.exc_info) if record.exc_info else None


def configure(json_lines: bool, verbose: bool) -> None:
    """Route every logger (digest's, uvicorn's, APScheduler's) to stderr, one event a line."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines() if json_lines else TextLines())
    handler.addFilter(Redact())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    # APScheduler logs every run and Alembic every check at INFO; their warnings still show.
    for noisy in ("apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(logging.INFO if verbose else logging.WARNING)
    quiet_handled(verbose)


# Libraries that log, with a traceback, errors digest itself handles: flufl.bounce, a detector
# that cannot read one message (digest takes no bounce from its detectors then, and goes on).
HANDLED = ("flufl.bounce",)


def quiet_handled(verbose: bool) -> None:
    """Their tracebacks only with --verbose: else a handled error looks like a crash."""
    for name in HANDLED:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.CRITICAL)
