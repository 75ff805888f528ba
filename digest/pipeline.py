"""The one place that chains the steps of an issue: collect -> edit -> compose -> render -> deliver.

The CLI (and later the scheduler and the web app) call these functions; they never re-implement
them. Every step is idempotent: running it twice changes nothing the second time.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from digest import db
from digest.collect.extract import ExtractedArticle, extract_article, html_to_text
from digest.collect.feeds import FeedEntry, parse_feed
from digest.collect.fetch import Fetcher
from digest.collect.identity import article_identity, canonical_link
from digest.config import ListSettings, Settings, SourceSettings
from digest.delivery import outbox
from digest.delivery.file_outbox import FileOutbox
from digest.delivery.message import Envelope, build_message, message_bytes
from digest.delivery.smtp import SmtpTransport
from digest.delivery.transport import SendResult, Transport
from digest.editorial.curate import Section, Story, group_by_region, pick_stories, week_period
from digest.editorial.edit import ArticleDraft, EditorialRules, edit_article
from digest.editorial.reading_time import count_words
from digest.errors import CollectError, ConfigError, DigestError
from digest.models import Article, Issue, IssueArticle, Source
from digest.render.email import EmailRenderer, IssueView, Recipient, RenderedIssue, personalise
from subscribers import membership
from subscribers.tokens import TokenSigner, TokenSubject

log = logging.getLogger("digest")

DEV_SECRET = "digest-development-secret-do-not-use-in-production"


# ----------------------------------------------------------------------------- runtime


@dataclass
class Runtime:
    """What every step needs: settings, the database, the renderer and the token signer."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    renderer: EmailRenderer
    signer: TokenSigner

    def close(self) -> None:
        self.engine.dispose()


def open_runtime(settings: Settings, now: datetime | None = None) -> Runtime:
    """Connect, migrate the schema and bring sources and lists in line with the config."""
    renderer = EmailRenderer(settings.resolve(settings.paths.templates))
    signer = TokenSigner(_secret(settings))
    engine = db.make_engine(settings.database_url, echo=settings.database.echo)
    try:
        db.upgrade(engine)
        rt = Runtime(settings, engine, db.session_factory(engine), renderer, signer)
        sync_config(rt, now or db.utcnow())
    except BaseException:
        engine.dispose()
        raise
    return rt


@contextmanager
def runtime(settings: Settings, now: datetime | None = None) -> Iterator[Runtime]:
    rt = open_runtime(settings, now)
    try:
        yield rt
    finally:
        rt.close()


def _secret(settings: Settings) -> str:
    name = settings.security.secret_key_env
    secret = os.environ.get(name, "")
    if secret:
        return secret
    if settings.security.allow_dev_secret:
        return DEV_SECRET
    raise ConfigError(
        f"environment variable {name} is not set (security.secret_key_env)",
        hint=f"export {name}=<a long random string>; it signs unsubscribe links",
    )


def sync_config(rt: Runtime, now: datetime) -> None:
    """Sources and lists in config.yaml exist in the database; a new list gets its demo readers."""
    with db.transaction(rt.sessions) as session:
        for source in rt.settings.sources:
            location = _source_location(rt.settings, source)
            row = session.scalar(select(Source).where(Source.name == source.name))
            if row is None:
                session.add(Source(name=source.name, url=location, region=source.region))
            elif row.url != location or row.region != source.region:
                row.url, row.region = location, source.region
                row.etag = row.last_modified = None
        for lst in rt.settings.lists:
            mailing_list, created = membership.ensure_list(session, lst.slug, lst.name)
            if created:
                for address in lst.demo_subscribers:
                    membership.add_subscriber(
                        session, mailing_list, address, name=None, now=now, origin="config"
                    )


def _source_location(settings: Settings, source: SourceSettings) -> str:
    if source.file is not None:
        return settings.resolve(source.file).resolve().as_uri()
    assert source.url is not None
    return source.url


# ----------------------------------------------------------------------------- collect


@dataclass
class SourceReport:
    name: str
    new_articles: int = 0
    entries: int = 0
    not_modified: bool = False
    error: str | None = None
    problems: list[str] = field(default_factory=list)  # items skipped, with why


@dataclass
class CollectReport:
    sources: list[SourceReport]

    @property
    def new_articles(self) -> int:
        return sum(s.new_articles for s in self.sources)

    @property
    def failed(self) -> list[SourceReport]:
        return [s for s in self.sources if s.error or s.problems]


def collect(rt: Runtime, now: datetime) -> CollectReport:
    """Fetch every configured source; new articles are edited and stored. One failing source
    is reported and leaves the others (and everything stored before) untouched."""
    return asyncio.run(_collect_all(rt, now))


async def _collect_all(rt: Runtime, now: datetime) -> CollectReport:
    async with Fetcher(rt.settings.collect) as fetcher:
        reports = await asyncio.gather(
            *(_collect_source(rt, fetcher, source, now) for source in rt.settings.sources)
        )
    return CollectReport(list(reports))


async def _collect_source(
    rt: Runtime, fetcher: Fetcher, source: SourceSettings, now: datetime
) -> SourceReport:
    report = SourceReport(source.name)
    with db.transaction(rt.sessions) as session:
        row = session.scalar(select(Source).where(Source.name == source.name))
        assert row is not None, "sync_config creates every source"
        source_id, url, etag, modified = row.id, row.url, row.etag, row.last_modified
    is_file = source.file is not None
    try:
        response = await fetcher.fetch(url, allow_file=is_file, etag=etag, last_modified=modified)
        if response.not_modified:
            report.not_modified = True
        else:
            feed = parse_feed(response.body, response.url)
            report.entries = len(feed.entries)
            drafts = await _new_drafts(rt, fetcher, source, feed.entries, is_file, report)
            report.new_articles = _store_articles(rt, source_id, drafts, now)
    except CollectError as exc:
        report.error = exc.message
        log.warning("source %s: %s", source.name, exc.message)
    with db.transaction(rt.sessions) as session:
        row = session.get(Source, source_id)
        assert row is not None
        if report.error:
            row.last_error, row.last_error_at = report.error, now
            row.consecutive_failures += 1
        else:
            row.last_success_at = now
            row.consecutive_failures = 0
            row.last_error = "; ".join(report.problems)[:2000] or None
            if not report.not_modified:
                row.etag, row.last_modified = response.etag, response.last_modified
                row.items_seen += report.entries
    return report


async def _new_drafts(
    rt: Runtime,
    fetcher: Fetcher,
    source: SourceSettings,
    entries: tuple[FeedEntry, ...],
    is_file: bool,
    report: SourceReport,
) -> list[ArticleDraft]:
    with rt.sessions() as session:
        identities = {e: article_identity(e.guid, e.link, e.title, e.summary_html) for e in entries}
        known = set(
            session.scalars(
                select(Article.identity).where(Article.identity.in_(identities.values()))
            )
        )
    fresh = [e for e in entries if identities[e] not in known]
    pages = await asyncio.gather(
        *(_page_if_teaser(rt, fetcher, e, is_file) for e in fresh), return_exceptions=True
    )
    drafts = []
    for entry, page in zip(fresh, pages, strict=True):
        if isinstance(page, DigestError):
            report.problems.append(f"{entry.title or entry.link}: {page.message}")
            log.warning("source %s: item skipped, will retry: %s", source.name, page.message)
            continue
        if isinstance(page, BaseException):
            raise page
        drafts.append(_draft(rt, source, entry, identities[entry], page))
    return drafts


async def _page_if_teaser(
    rt: Runtime, fetcher: Fetcher, entry: FeedEntry, is_file: bool
) -> ExtractedArticle | None:
    if entry.content_html or not entry.link:
        return None
    if count_words(html_to_text(entry.summary_html)) >= rt.settings.collect.teaser_words:
        return None
    response = await fetcher.fetch(entry.link, allow_file=is_file)
    return extract_article(response.body, response.url)


def _draft(
    rt: Runtime,
    source: SourceSettings,
    entry: FeedEntry,
    identity: str,
    page: ExtractedArticle | None,
) -> ArticleDraft:
    feed_text = html_to_text(entry.content_html or entry.summary_html)
    text = page.text if page is not None and page.text else feed_text
    link = (page.canonical_url if page else None) or entry.link or ""
    editorial = rt.settings.editorial
    return edit_article(
        identity=identity,
        url=canonical_link(link) if link else "",
        title=entry.title or (page.title if page and page.title else ""),
        author=entry.author,
        published_at=entry.published_at,
        text=text,
        region=source.region or (page.section if page and page.section else ""),
        feed_categories=entry.categories,
        page_tags=page.tags if page else (),
        source_tags=source.tags,
        rules=EditorialRules(
            editorial.words_per_minute, editorial.summary_words, editorial.max_tags
        ),
    )


def _store_articles(rt: Runtime, source_id: int, drafts: list[ArticleDraft], now: datetime) -> int:
    stored = 0
    with db.transaction(rt.sessions) as session:
        for draft in drafts:
            duplicate = session.scalar(
                select(Article.id).where(
                    (Article.identity == draft.identity) | (Article.url == draft.url)
                )
            )
            if duplicate is not None:
                continue  # the same story under another GUID, or from another source
            session.add(
                Article(
                    identity=draft.identity,
                    source_id=source_id,
                    url=draft.url,
                    title=draft.title,
                    author=draft.author,
                    published_at=draft.published_at,
                    collected_at=now,
                    region=draft.region,
                    tags=draft.tags,
                    text=draft.text,
                    word_count=draft.word_count,
                    reading_minutes=draft.reading_minutes,
                    summary=draft.summary,
                    summary_method=draft.summary_method,
                )
            )
            session.flush()
            stored += 1
    return stored


# ----------------------------------------------------------------------------- compose


@dataclass(frozen=True)
class IssueRef:
    id: int
    list_slug: str
    number: int
    status: str
    article_count: int
    period_start: datetime
    period_end: datetime
    subject: str


def compose(rt: Runtime, list_slug: str, now: datetime) -> IssueRef | None:
    """This period's issue of the list: created, or refreshed while still a draft.
    None when there is no issue yet and nothing new to put in one."""
    lst = rt.settings.mailing_list(list_slug)
    start, end = week_period(now, lst.timezone)
    for _attempt in range(2):
        try:
            with db.transaction(rt.sessions) as session:
                return _compose_in(session, rt.settings, lst, start, end)
        except IntegrityError:
            continue  # another process created the same (list, period) issue first: reuse it
    raise DigestError(f"could not compose the issue of {list_slug!r} for {start:%Y-%m-%d}")


def _compose_in(
    session: Session, settings: Settings, lst: ListSettings, start: datetime, end: datetime
) -> IssueRef | None:
    mailing_list = membership.get_list(session, lst.slug)
    issue = session.scalar(
        select(Issue).where(Issue.list_id == mailing_list.id, Issue.period_start == start)
    )
    if issue is not None and issue.status != "draft":
        return _ref(issue, lst.slug)
    in_other_issues = (
        select(IssueArticle.article_id)
        .join(Issue, Issue.id == IssueArticle.issue_id)
        .where(Issue.list_id == mailing_list.id)
    )
    if issue is not None:
        in_other_issues = in_other_issues.where(Issue.id != issue.id)
    query = select(Article).where(Article.collected_at < end, Article.id.not_in(in_other_issues))
    if lst.sources is not None:
        query = query.join(Source, Source.id == Article.source_id).where(
            Source.name.in_(lst.sources)
        )
    articles = {a.id: a for a in session.scalars(query)}
    stories = pick_stories((_story(a) for a in articles.values()), lst.max_articles)
    if issue is None:
        if not stories:
            return None
        number = (
            session.scalar(select(func.max(Issue.number)).where(Issue.list_id == mailing_list.id))
            or 0
        ) + 1
        issue = Issue(
            list_id=mailing_list.id,
            number=number,
            period_start=start,
            period_end=end,
            subject="",
            status="draft",
        )
        session.add(issue)
        session.flush()
    issue.subject = _subject(settings, lst, issue.number, start, end)
    issue.entries.clear()
    session.flush()
    for section in group_by_region(stories):
        for story in section.stories:
            issue.entries.append(
                IssueArticle(
                    article_id=story.id, position=len(issue.entries), section=section.region
                )
            )
    session.flush()
    return _ref(issue, lst.slug)


def _subject(
    settings: Settings, lst: ListSettings, number: int, start: datetime, end: datetime
) -> str:
    last_day = end - timedelta(days=1)
    try:
        return lst.subject.format(
            name=lst.name,
            newsletter=settings.newsletter.name,
            number=number,
            period=f"{start:%-d %b} – {last_day:%-d %b %Y}",
        )
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(
            f"lists: {lst.slug}: subject: unknown placeholder {exc}",
            hint="use {name}, {newsletter}, {number} or {period}",
        ) from None


def _story(article: Article) -> Story:
    return Story(
        id=article.id,
        title=article.title,
        url=article.url,
        region=article.region,
        tags=tuple(article.tags or ()),
        reading_minutes=article.reading_minutes,
        summary=article.summary,
        published_at=article.published_at,
    )


def _ref(issue: Issue, slug: str) -> IssueRef:
    return IssueRef(
        id=issue.id,
        list_slug=slug,
        number=issue.number,
        status=issue.status,
        article_count=len(issue.entries),
        period_start=issue.period_start,
        period_end=issue.period_end,
        subject=issue.subject,
    )


# ----------------------------------------------------------------------------- render


def render(rt: Runtime, issue_id: int) -> RenderedIssue:
    with rt.sessions() as session:
        issue = session.get(Issue, issue_id)
        if issue is None:
            raise DigestError(f"issue {issue_id} not found")
        sections: dict[str, list[Story]] = {}
        for entry in issue.entries:
            sections.setdefault(entry.section, []).append(_story(entry.article))
        lst = rt.settings.mailing_list(issue.mailing_list.slug)
        zone_start = issue.period_start.astimezone(ZoneInfo(lst.timezone))
        zone_end = (issue.period_end - timedelta(days=1)).astimezone(ZoneInfo(lst.timezone))
        view = IssueView(
            newsletter_name=rt.settings.newsletter.name,
            list_name=lst.name,
            number=issue.number,
            period_start=zone_start.date(),
            period_end=zone_end.date(),
            subject=issue.subject,
            sections=tuple(Section(region, tuple(items)) for region, items in sections.items()),
            postal_address=rt.settings.newsletter.postal_address,
            base_url=rt.settings.newsletter.base_url,
        )
    return rt.renderer.render(view)


@dataclass(frozen=True)
class Preview:
    issue: IssueRef
    path: Path


def preview(
    rt: Runtime, list_slug: str, now: datetime, *, text: bool = False, out: Path | None = None
) -> Preview | None:
    """Write the coming issue (composed now, not sent) to a file, as a sample reader sees it."""
    ref = compose(rt, list_slug, now)
    if ref is None:
        return None
    rendered = render(rt, ref.id)
    sample = Recipient(
        email="reader@example.org",
        unsubscribe_url=f"{rt.settings.newsletter.base_url}/u/preview",
    )
    html_out, text_out = personalise(rendered, sample)
    suffix = "txt" if text else "html"
    path = out or rt.settings.resolve(rt.settings.paths.previews) / (
        f"{list_slug}-issue-{ref.number}.{suffix}"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text_out if text else html_out, encoding="utf-8")
    return Preview(ref, path)


# ----------------------------------------------------------------------------- deliver


@dataclass
class SendReport:
    issue: IssueRef | None
    transport: str
    enqueued: int = 0
    sent: int = 0
    deferred: int = 0
    failed: int = 0
    skipped: int = 0
    totals: dict[str, int] = field(default_factory=dict)


def make_transport(settings: Settings) -> Transport:
    delivery = settings.delivery
    if delivery.transport == "file":
        return FileOutbox(settings.resolve(delivery.file.directory))
    smtp = delivery.smtp
    password = None
    if smtp.username:
        password = os.environ.get(smtp.password_env or "", None)
        if password is None:
            raise ConfigError(
                f"delivery.smtp.password_env: environment variable {smtp.password_env} is not set",
                hint=f"export {smtp.password_env}=… with the SMTP password for {smtp.username}",
            )
    return SmtpTransport(
        host=smtp.host,
        port=smtp.port,
        security=smtp.security,
        username=smtp.username,
        password=password,
        timeout=smtp.timeout_seconds,
    )


def send(
    rt: Runtime, list_slug: str, now: datetime, transport: Transport | None = None
) -> SendReport:
    """Deliver this period's issue to every confirmed subscriber not yet sent it."""
    transport = transport or make_transport(rt.settings)
    ref = compose(rt, list_slug, now)
    report = SendReport(issue=ref, transport=transport.describe())
    if ref is None:
        return report
    asyncio.run(_deliver(rt, ref, transport, now, report))
    report.issue = compose(rt, list_slug, now)  # the issue is frozen now: this re-reads it
    with rt.sessions() as session:
        report.totals = outbox.counts(session, ref.id)
    return report


async def _deliver(
    rt: Runtime, ref: IssueRef, transport: Transport, now: datetime, report: SendReport
) -> None:
    settings = rt.settings
    lst = settings.mailing_list(ref.list_slug)
    with db.transaction(rt.sessions) as session:
        issue = session.get(Issue, ref.id)
        assert issue is not None
        if issue.status == "draft":
            issue.status = "sending"  # from here on the issue's content is frozen
        list_id = issue.list_id
        for batch in membership.iter_recipient_batches(
            session, list_id, settings.delivery.batch_size
        ):
            report.enqueued += outbox.enqueue(session, ref.id, batch, now)
    rendered = render(rt, ref.id)
    envelope = Envelope(
        from_address=settings.newsletter.from_address,
        from_name=settings.newsletter.from_name or settings.newsletter.name,
        list_name=lst.name,
        list_id=f"{lst.slug}.{urlsplit(settings.newsletter.base_url).hostname}",
        reply_to=settings.newsletter.reply_to,
    )
    retry_delay = timedelta(seconds=settings.delivery.retry_delay_seconds)
    await transport.open()
    try:
        while True:
            with db.transaction(rt.sessions) as session:
                claimed = [
                    (d.id, d.subscriber_id, d.email)
                    for d in outbox.claim_batch(session, ref.id, now, settings.delivery.batch_size)
                ]
            if not claimed:
                break
            for delivery_id, subscriber_id, email in claimed:
                await _deliver_one(
                    rt,
                    transport,
                    rendered,
                    envelope,
                    list_id,
                    delivery_id,
                    subscriber_id,
                    email,
                    now,
                    retry_delay,
                    report,
                )
    finally:
        await transport.close()
    with db.transaction(rt.sessions) as session:
        totals = outbox.counts(session, ref.id)
        pending = sum(totals.get(s, 0) for s in ("queued", "sending", "deferred"))
        issue = session.get(Issue, ref.id)
        assert issue is not None
        if pending == 0 and issue.status != "sent":
            issue.status, issue.sent_at = "sent", now


async def _deliver_one(
    rt: Runtime,
    transport: Transport,
    rendered: RenderedIssue,
    envelope: Envelope,
    list_id: int,
    delivery_id: int,
    subscriber_id: int,
    email: str,
    now: datetime,
    retry_delay: timedelta,
    report: SendReport,
) -> None:
    with rt.sessions() as session:
        deliverable = membership.is_deliverable(session, subscriber_id, list_id)
    if not deliverable:
        with db.transaction(rt.sessions) as session:
            outbox.skip(session, delivery_id, "no longer subscribed")
        report.skipped += 1
        return
    token = rt.signer.sign("unsubscribe", TokenSubject(subscriber_id, list_id))
    unsubscribe_url = f"{rt.settings.newsletter.base_url}/u/{token}"
    mailto = rt.settings.delivery.unsubscribe_mailto
    html_out, text_out = personalise(rendered, Recipient(email, unsubscribe_url))
    message = build_message(
        envelope=envelope,
        to_address=email,
        subject=rendered.subject,
        text=text_out,
        html=html_out,
        unsubscribe_url=unsubscribe_url,
        unsubscribe_mailto=f"mailto:{mailto}?subject={quote('unsubscribe ' + token)}"
        if mailto
        else None,
        now=now,
    )
    result: SendResult = await transport.send(envelope.from_address, email, message_bytes(message))
    with db.transaction(rt.sessions) as session:
        status = outbox.record(
            session,
            delivery_id,
            result,
            now,
            max_attempts=rt.settings.delivery.max_attempts,
            retry_delay=retry_delay,
            message_id=str(message["Message-ID"]),
        )
    if status == "sent":
        report.sent += 1
    elif status == "deferred":
        report.deferred += 1
        log.warning("%s: deferred: %s", email, result.reply)
    else:
        report.failed += 1
        log.warning("%s: failed: %s", email, result.reply)


# ----------------------------------------------------------------------------- run


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
    shown = preview(rt, list_slug, now)
    delivery = send(rt, list_slug, now, transport)
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
