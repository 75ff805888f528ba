"""The states an issue, its approval, a delivery and a scheduled run can be in, and how an
article's summary was made: one definition each, used by the code and by the database's check
constraints."""

from __future__ import annotations

from enum import StrEnum


class IssueStatus(StrEnum):
    DRAFT = "draft"  # composed and still changing
    SENDING = "sending"  # deliveries are queued; no longer editable
    SENT = "sent"  # every delivery has ended


class Approval(StrEnum):
    PENDING = "pending"  # not yet reviewed
    APPROVED = "approved"
    HELD = "held"  # never sent until released


class DeliveryStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"  # leased by a worker
    SENT = "sent"
    DEFERRED = "deferred"  # a temporary failure: tried again later
    FAILED = "failed"  # a permanent failure
    UNCERTAIN = "uncertain"  # the server may have it; never sent again by itself
    SKIPPED = "skipped"  # the reader left, was suppressed, or wants none of its topics


class RunOutcome(StrEnum):
    RUNNING = "running"
    DONE = "done"
    NOTHING_NEW = "nothing-new"
    SKIPPED = "skipped"
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # its process died while running


class SummaryMethod(StrEnum):
    LEAD = "lead"  # the article's opening sentences: the column's default
    EXTRACTIVE = "extractive"  # its best sentences (digest.editorial.summarise)
    FEED = "feed"  # the feed's own description, clean and within the budget
    LLM = "llm"  # a language model's (digest.pipeline.llm_summariser)


class SourceOrigin(StrEnum):
    """Who a source's row follows: config.yaml, or the web app's admins once they edited it."""

    CONFIG = "config"  # kept in line with config.yaml's sources: on every start
    WEB = "web"  # added or edited in the web app: config.yaml no longer changes it
