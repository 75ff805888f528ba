"""Tables of the editorial pipeline: sources, articles, issues (with articles), deliveries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from digest.db import Base, UTCDateTime, state_column_type, utcnow
from digest.states import (
    Approval,
    DeliveryStatus,
    IssueStatus,
    RunOutcome,
    SourceOrigin,
    SummaryMethod,
)
from subscribers.models import MailingList, Subscriber


class Source(Base):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # A feed URL, or a file URL for sources the configuration marks as local files.
    url: Mapped[str] = mapped_column(Text)
    region: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    items_seen: Mapped[int] = mapped_column(Integer, default=0)
    # The url config.yaml gave; url itself follows permanent redirects (301/308).
    configured_url: Mapped[str | None] = mapped_column(Text)
    # The site answered 429/503 with Retry-After: not fetched again before then.
    retry_after_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # An admin's switch (active is the site's own 410): a disabled source is not collected.
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Tags every article of the source gets, and the CSS selector of its article body.
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    selector: Mapped[str | None] = mapped_column(Text)
    # A file source's pages folder (absolute), as config.yaml's pages_dir resolves.
    pages_dir: Mapped[str | None] = mapped_column(Text)
    origin: Mapped[SourceOrigin] = mapped_column(
        state_column_type(SourceOrigin, "origin"), default=SourceOrigin.CONFIG
    )


class Article(Base):
    __tablename__ = "articles"
    # Collection looks stories up by url. A hash index on PostgreSQL: a B-tree refuses an
    # entry over a third of a page (about 2.7 kB), and a URL may be longer.
    __table_args__ = (Index("ix_articles_url", "url", postgresql_using="hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # "guid:…", "url:…" (canonical link) or "hash:…": how we know we have seen it.
    identity: Mapped[str] = mapped_column(String(512), unique=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    region: Mapped[str] = mapped_column(String(200), default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    text: Mapped[str] = mapped_column(Text, default="")
    word_count: Mapped[int] = mapped_column(Integer, default=0)
    reading_minutes: Mapped[int] = mapped_column(Integer, default=1)
    summary: Mapped[str] = mapped_column(Text, default="")
    summary_method: Mapped[SummaryMethod] = mapped_column(
        state_column_type(SummaryMethod, "summary_method", length=32), default=SummaryMethod.LEAD
    )
    # sha256 of the title and text the summary was made from: a new summary only when it changes.
    summary_source_hash: Mapped[str | None] = mapped_column(String(64))
    image_url: Mapped[str | None] = mapped_column(Text)
    image_alt: Mapped[str | None] = mapped_column(Text)
    # Every region the article was collected under (the same story from several sources).
    regions: Mapped[list[str] | None] = mapped_column(JSON)
    language: Mapped[str | None] = mapped_column(String(35))
    # A story with a near-identical title stored earlier the same week: flagged, not dropped.
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL")
    )

    source: Mapped[Source | None] = relationship()


class Issue(Base):
    __tablename__ = "issues"
    # One issue per list and period: composing twice finds the same row.
    __table_args__ = (UniqueConstraint("list_id", "period_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("mailing_lists.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    period_start: Mapped[datetime] = mapped_column(UTCDateTime())
    period_end: Mapped[datetime] = mapped_column(UTCDateTime())
    subject: Mapped[str] = mapped_column(Text)
    status: Mapped[IssueStatus] = mapped_column(
        state_column_type(IssueStatus, "status"), default=IssueStatus.DRAFT
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # What editors change is kept on the issue, so composing again never undoes it.
    intro: Mapped[str] = mapped_column(Text, default="")
    subject_edited: Mapped[bool] = mapped_column(Boolean, default=False)
    excluded_article_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    edited_by: Mapped[str | None] = mapped_column(String(200))
    approval: Mapped[Approval] = mapped_column(
        state_column_type(Approval, "approval"), default=Approval.PENDING
    )
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by: Mapped[str | None] = mapped_column(String(200))
    # The editor's lead story (None: the first); shown first by templates that lead with one.
    lead_article_id: Mapped[int | None] = mapped_column(Integer)
    # The sections in the editor's order (None: as their first stories come).
    section_order: Mapped[list[str] | None] = mapped_column(JSON)
    # The editor's title and summary of a story in this issue, by article id (as a string):
    # {"12": {"title": "...", "summary": "..."}}; the collected article is left as it is.
    story_edits: Mapped[dict[str, dict[str, str]] | None] = mapped_column(JSON)
    # An editor's "send at": the delivery worker starts the send once it is due.
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The web version as it was when the send started: the archive shows exactly this.
    web_html: Mapped[str | None] = mapped_column(Text)

    mailing_list: Mapped[MailingList] = relationship()
    entries: Mapped[list[IssueArticle]] = relationship(
        back_populates="issue", order_by="IssueArticle.position", cascade="all, delete-orphan"
    )


class IssueArticle(Base):
    __tablename__ = "issue_articles"

    issue_id: Mapped[int] = mapped_column(
        ForeignKey("issues.id", ondelete="CASCADE"), primary_key=True
    )
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer)
    section: Mapped[str] = mapped_column(String(200), default="")

    issue: Mapped[Issue] = relationship(back_populates="entries")
    article: Mapped[Article] = relationship()


# The rows a sender may still have to claim, as SQL both databases read the same way: the
# condition of the partial index below, repeated word for word by every claim (outbox._due),
# which is how SQLite's planner knows the index holds every row the claim can want.
UNFINISHED_DELIVERY = "status IN ('queued', 'deferred', 'sending')"


class Delivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        # The guarantee behind "a subscriber never gets the same issue twice".
        UniqueConstraint("issue_id", "subscriber_id"),
        # A claim takes the first unfinished rows by id: through this index it reads only
        # those, instead of every row of the issue, sent ones included, on each claim (which
        # made a send's claims grow with the square of its readers).
        Index(
            "ix_deliveries_unfinished",
            "issue_id",
            "id",
            sqlite_where=text(UNFINISHED_DELIVERY),
            postgresql_where=text(UNFINISHED_DELIVERY),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"))
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    # Not indexed on its own: it changes twice a row in every send (see 0008_tput).
    status: Mapped[DeliveryStatus] = mapped_column(
        state_column_type(DeliveryStatus, "status"), default=DeliveryStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_reply: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The worker (Worker.id) that claimed the row last; a `sending` row is its own while that
    # worker's heartbeat is fresh. No foreign key: a worker's row goes when it stops.
    worker_id: Mapped[str | None] = mapped_column(String(100))

    issue: Mapped[Issue] = relationship()
    subscriber: Mapped[Subscriber] = relationship()


class Worker(Base):
    """A sender at work (`digest worker`, `digest send`, `digest serve`'s worker): its heartbeat
    is renewed every few seconds while it sends, by a thread of its own."""

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)  # host:pid:random
    # Seconds since the epoch on the database's clock (db.clock_seconds), never a worker's own.
    started_at: Mapped[float] = mapped_column(Float)
    heartbeat_at: Mapped[float] = mapped_column(Float)
    # Its delivery.worker_stale_seconds: its rows are another's to take once its heartbeat is
    # older than this, whatever the other's own setting (it beats every sixth of this).
    stale_seconds: Mapped[float] = mapped_column(Float, server_default=text("20"))


class SendRate(Base):
    """The rate limit every worker of this database shares: the next free moment of sending
    and the pause a server's 421/454 asked for, on the database's clock (seconds since the
    epoch). Workers reserve permits from it in blocks (delivery/shared_rate.py)."""

    __tablename__ = "send_rate"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_free_at: Mapped[float] = mapped_column(Float)
    paused_until: Mapped[float] = mapped_column(Float)


class ScheduleRun(Base):
    """A scheduled job (collect, draft, send) claimed for one scheduled time, and its outcome."""

    __tablename__ = "schedule_runs"
    # The claim: whichever process inserts the row first runs the job; the others skip it.
    __table_args__ = (UniqueConstraint("list_slug", "job", "scheduled_for"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    list_slug: Mapped[str] = mapped_column(String(100))
    job: Mapped[str] = mapped_column(String(16))
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime())
    # running, done, nothing-new, skipped, failed, interrupted.
    outcome: Mapped[RunOutcome] = mapped_column(
        state_column_type(RunOutcome, "outcome"), default=RunOutcome.RUNNING
    )
    detail: Mapped[str] = mapped_column(Text, default="")
    claimed_by: Mapped[str] = mapped_column(String(200), default="")
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ProcessedBounce(Base):
    """A bounce report already applied: reading the same mailbox again changes nothing."""

    __tablename__ = "processed_bounces"

    id: Mapped[int] = mapped_column(primary_key=True)
    # sha256 of the report's bytes
    report_hash: Mapped[str] = mapped_column(String(64), unique=True)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EditorSession(Base):
    """An editor's signed-in session: it ends when its row goes (sign-out, expiry), everywhere."""

    __tablename__ = "editor_sessions"

    # sha256 (hex) of the random token in the editor's cookie: the table alone signs nobody in.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class SignInThrottle(Base):
    """Recent failed sign-ins of one account or one client, and the lock they led to."""

    __tablename__ = "sign_in_throttles"

    # sha256 (hex) of "account" or "client" and the username or address: no text an attacker
    # typed and no client address is kept, and every key has the same length.
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # From then on the row means nothing (window over, lock ended): forgotten and purged.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class StoryClick(Base):
    """How many times a story of an issue was followed from its links: a count, no one's."""

    __tablename__ = "story_clicks"

    issue_id: Mapped[int] = mapped_column(
        ForeignKey("issues.id", ondelete="CASCADE"), primary_key=True
    )
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    clicks: Mapped[int] = mapped_column(Integer, default=0)


class ReaderClick(Base):
    """Which reader followed which story: kept only while analytics.per_reader is on."""

    __tablename__ = "reader_clicks"

    issue_id: Mapped[int] = mapped_column(
        ForeignKey("issues.id", ondelete="CASCADE"), primary_key=True
    )
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True
    )
    clicks: Mapped[int] = mapped_column(Integer, default=0)
