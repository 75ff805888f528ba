"""Collect: fetch every source, find new items, fetch teasers' pages, edit and store articles."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select

from digest import db
from digest.collect.extract import ExtractedArticle, html_to_text
from digest.collect.feed_parser import FeedParser
from digest.collect.feeds import FeedEntry, ParsedFeed, discover_feeds, looks_like_html
from digest.collect.fetch import Fetcher, FetchResponse
from digest.collect.identity import TitleIndex, article_identity, reader_link
from digest.collect.text import REGION_LENGTH, short_label
from digest.config import SourceSettings
from digest.editorial.article_rules import EditorialRules, edit_article
from digest.editorial.reading_time import count_words
from digest.editorial.summarise import Summariser
from digest.errors import CollectError, DigestError, RetryLater, SourceGone
from digest.models import Article, Source
from digest.pipeline.extracting import PageExtractor
from digest.pipeline.runtime import Runtime, source_location
from digest.pipeline.storing import Collected, recent_titles, store_articles
from digest.pipeline.summaries import editorial_rules, make_summariser, summarise_drafts

log = logging.getLogger("digest")
_T = TypeVar("_T")


@dataclass
class SourceReport:
    name: str
    new_articles: int = 0
    entries: int = 0
    not_modified: bool = False
    skipped: str | None = None  # why the source was not fetched this time (not an error)
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
    settings = rt.settings.collect
    with rt.sessions() as session:
        rows = {
            r.name: _Stored(r.id, r.url, r.etag, r.last_modified, r.active, r.retry_after_at)
            for r in session.scalars(select(Source))
        }
        # Read once for the run; only the database thread uses it from here on.
        recent = recent_titles(session, now)
    # Built once for the run: compiled rules, and one summariser whose concurrency limit holds
    # over every source at once.
    editor = _Editor(editorial_rules(rt.settings.editorial), make_summariser(rt.settings))
    # One thread does all the database work, one statement after another: threads taking
    # turns at SQLite's write lock would wait in its busy handler's sleeps instead.
    with ThreadPoolExecutor(1, thread_name_prefix="digest-collect-db") as database:
        async with (
            Fetcher(settings, clock=lambda: now) as fetcher,
            PageExtractor(settings.extract_workers) as extractor,
        ):
            parser = FeedParser(settings)
            reports = await asyncio.gather(
                *(
                    _collect_source(
                        rt,
                        fetcher,
                        parser,
                        extractor,
                        database,
                        recent,
                        editor,
                        source,
                        rows[source.name],
                        now,
                    )
                    for source in rt.settings.sources
                )
            )
    return CollectReport(list(reports))


async def _in_thread(database: Executor, work: Callable[..., _T], *args: Any) -> _T:
    """Database work off the event loop, in the collection's database thread."""
    return await asyncio.get_running_loop().run_in_executor(database, work, *args)


@dataclass(frozen=True)
class _Editor:
    """The run's editorial rules and summariser, shared by every source."""

    rules: EditorialRules
    summariser: Summariser


@dataclass(frozen=True)
class _Stored:
    """What the database knows of a source when the collection starts."""

    id: int
    url: str
    etag: str | None
    last_modified: str | None
    active: bool
    retry_after_at: datetime | None


@dataclass
class _Outcome:
    """What one fetch of a source changes in its row."""

    response: FetchResponse | None = None
    moved_to: str | None = None
    gone: bool = False
    retry_at: datetime | None = None


async def _collect_source(
    rt: Runtime,
    fetcher: Fetcher,
    parser: FeedParser,
    extractor: PageExtractor,
    database: Executor,
    recent: TitleIndex,
    editor: _Editor,
    source: SourceSettings,
    stored: _Stored,
    now: datetime,
) -> SourceReport:
    report = SourceReport(source.name)
    if not stored.active:
        report.skipped = "inactive (the site answered 410 Gone); fix its url to reactivate"
        return report
    if stored.retry_after_at is not None and stored.retry_after_at > now:
        report.skipped = (
            f"the site asked us to wait until {stored.retry_after_at:%Y-%m-%d %H:%M} UTC"
        )
        return report
    feed_folders, page_folders = _local_folders(rt, source)
    outcome = _Outcome()
    collected: list[Collected] = []
    try:
        response = await fetcher.fetch(
            stored.url,
            local_folders=feed_folders,
            etag=stored.etag,
            last_modified=stored.last_modified,
        )
        outcome.response, outcome.moved_to = response, response.moved_to
        if response.not_modified:
            report.not_modified = True
        else:
            feed, outcome.response, found = await _feed_of(fetcher, parser, response, page_folders)
            outcome.moved_to = found or outcome.moved_to
            report.entries = len(feed.entries)
            collected = await _new_articles(
                rt, fetcher, extractor, database, editor, source, feed, page_folders, report
            )
    except SourceGone as exc:
        outcome.gone, report.error = True, exc.message
        log.warning("source %s: %s", source.name, exc.message)
    except RetryLater as exc:
        outcome.retry_at, report.error = exc.retry_at, exc.message
        log.warning("source %s: %s", source.name, exc.message)
    except CollectError as exc:
        report.error = exc.message
        log.warning("source %s: %s", source.name, exc.message)
    except Exception as exc:
        # A bug met by hostile input: this source reports it, the others are collected.
        report.error = f"unexpected: {type(exc).__name__}: {exc}"[:2000]
        log.exception("source %s: unexpected error", source.name)
    # The database work runs in a thread: the event loop keeps fetching meanwhile.
    try:
        await _in_thread(database, _record, rt, recent, stored.id, collected, report, outcome, now)
    except Exception as exc:
        # What this source's articles could not be stored for is its error alone: the run
        # and the other sources go on, and its health says why (recorded without them).
        report.new_articles = 0
        report.error = f"unexpected while storing: {type(exc).__name__}: {exc}"[:2000]
        log.exception("source %s: its articles could not be stored", source.name)
        try:
            await _in_thread(database, _record, rt, recent, stored.id, [], report, outcome, now)
        except Exception:
            log.exception("source %s: its health could not be recorded", source.name)
    return report


def _record(
    rt: Runtime,
    recent: TitleIndex,
    source_id: int,
    collected: list[Collected],
    report: SourceReport,
    outcome: _Outcome,
    now: datetime,
) -> None:
    """The source's new articles, its health and validators after this fetch: one commit."""
    # Another process (digest serve, a CLI command) may write at the same time: on SQLite the
    # write lock is taken up front (BEGIN IMMEDIATE), or two that read first would deadlock.
    with db.claim_transaction(rt.engine) as session:
        report.new_articles = store_articles(
            session, source_id, collected, now, rt.settings.editorial.max_tags, recent
        )
        row = session.get(Source, source_id)
        assert row is not None
        if outcome.moved_to and outcome.moved_to != row.url:
            log.info("source %s: moved permanently to %s", row.name, outcome.moved_to)
            row.url = outcome.moved_to
        row.retry_after_at = outcome.retry_at
        if outcome.gone:
            row.active = False
        if report.error:
            row.last_error, row.last_error_at = report.error, now
            row.consecutive_failures += 1
            if row.consecutive_failures >= rt.settings.collect.failing_after:
                log.error(
                    "source %s is failing: %d fetches in a row failed (last: %s)",
                    row.name,
                    row.consecutive_failures,
                    report.error,
                )
        else:
            row.last_success_at = now
            row.consecutive_failures = 0
            row.last_error = "; ".join(report.problems)[:2000] or None
            if outcome.response is not None and not report.not_modified:
                row.etag = outcome.response.etag
                row.last_modified = outcome.response.last_modified
                row.items_seen += report.entries


def _local_folders(
    rt: Runtime, source: SourceSettings
) -> tuple[tuple[Path, ...], tuple[Path, ...]]:
    """Where a file source may read: its feed file's folder, and the folders of its pages (its
    pages_dir, else the feed's folder and the pages/ folder beside it, as the bundled samples
    lie); nothing on disk for a source fetched over the network."""
    if source.file is None:
        return (), ()
    feed_folder = rt.settings.resolve(source.file).resolve().parent
    if source.pages_dir is not None:
        return (feed_folder,), (rt.settings.resolve(source.pages_dir).resolve(),)
    return (feed_folder,), (feed_folder, feed_folder.parent / "pages")


async def _feed_of(
    fetcher: Fetcher,
    parser: FeedParser,
    response: FetchResponse,
    local_folders: tuple[Path, ...],
) -> tuple[ParsedFeed, FetchResponse, str | None]:
    """The feed in the response or, for a site's page, in the first feed the page announces
    (that feed's URL is returned to become the source's url)."""
    try:
        return await parser.parse(response.body, response.url), response, None
    except CollectError:
        if not looks_like_html(response.body):
            raise
    candidates = discover_feeds(response.body, response.url)
    for candidate in candidates:
        try:
            found = await fetcher.fetch(candidate, local_folders=local_folders)
            return await parser.parse(found.body, found.url), found, found.moved_to or candidate
        except CollectError:
            continue
    raise CollectError(
        f"{response.url}: not an RSS or Atom feed, nor a page announcing one that works"
        f" (tried {len(candidates)} feed address(es))",
        hint="set the source's url to the site's RSS or Atom feed",
    )


async def _new_articles(
    rt: Runtime,
    fetcher: Fetcher,
    extractor: PageExtractor,
    database: Executor,
    editor: _Editor,
    source: SourceSettings,
    feed: ParsedFeed,
    local_folders: tuple[Path, ...],
    report: SourceReport,
) -> list[Collected]:
    entries = feed.entries
    # The configured address, not where a redirect led: identities stay put when a feed moves.
    scope = source_location(rt.settings, source)
    identities = {
        e: article_identity(e.guid, e.link, e.title, e.summary_html, feed_url=scope)
        for e in entries
    }
    known = await _in_thread(database, _known, rt, list(identities.values()))
    fresh = [e for e in entries if identities[e] not in known]
    # Pages in flight (fetched, waiting to be extracted) are bounded: memory stays flat.
    in_flight = asyncio.Semaphore(rt.settings.collect.concurrency * 2)

    async def page_of(entry: FeedEntry) -> ExtractedArticle | None:
        async with in_flight:
            return await _page_if_teaser(rt, fetcher, extractor, source, entry, local_folders)

    pages = await asyncio.gather(*(page_of(e) for e in fresh), return_exceptions=True)
    collected = []
    for entry, page in zip(fresh, pages, strict=True):
        if isinstance(page, DigestError):
            report.problems.append(f"{entry.title or entry.link}: {page.message}")
            log.warning("source %s: item skipped, will retry: %s", source.name, page.message)
            continue
        if isinstance(page, Exception):
            # Not stored, so it is tried again next run; the rest of the feed is kept.
            problem = f"unexpected: {type(page).__name__}: {page}"
            report.problems.append(f"{entry.title or entry.link}: {problem}")
            log.error(
                "source %s: item skipped, will retry: %s",
                source.name,
                problem,
                exc_info=(type(page), page, page.__traceback__),
            )
            continue
        if isinstance(page, BaseException):
            raise page
        collected.append(_collected(editor.rules, source, feed, entry, identities[entry], page))
    # The configured summariser (the drafts come with the extractive summary already).
    drafts = await summarise_drafts(
        [item.draft for item in collected], editor.summariser, editor.rules
    )
    return [replace(item, draft=draft) for item, draft in zip(collected, drafts, strict=True)]


def _known(rt: Runtime, identities: list[str]) -> set[str]:
    with rt.sessions() as session:
        return set(
            session.scalars(select(Article.identity).where(Article.identity.in_(identities)))
        )


async def _page_if_teaser(
    rt: Runtime,
    fetcher: Fetcher,
    extractor: PageExtractor,
    source: SourceSettings,
    entry: FeedEntry,
    local_folders: tuple[Path, ...],
) -> ExtractedArticle | None:
    if entry.content_html or not entry.link:
        return None
    if count_words(html_to_text(entry.summary_html)) >= rt.settings.collect.teaser_words:
        return None
    response = await fetcher.fetch(entry.link, local_folders=local_folders)
    return await extractor.extract(response.body, response.url, source.selector)


def _collected(
    rules: EditorialRules,
    source: SourceSettings,
    feed: ParsedFeed,
    entry: FeedEntry,
    identity: str,
    page: ExtractedArticle | None,
) -> Collected:
    feed_text = html_to_text(entry.content_html or entry.summary_html)
    text = page.text if page is not None and page.text else feed_text
    link = (page.canonical_url if page else None) or entry.link or ""
    # The feed's description may serve as the summary; not when it is the article itself.
    description = html_to_text(entry.summary_html) if entry.content_html or page else ""
    # The region the newsroom configured for the source wins; else (in edit_article) the
    # page's breadcrumb or article:section, else the feed item's first category, when it names
    # a region, else the region whose places the article names.
    section = page.section if page and page.section else None
    if section is None and entry.categories:
        section = entry.categories[0]
    # Kept as the region when it names no known one: it must fit articles.region.
    section = short_label(section, REGION_LENGTH)
    draft = edit_article(
        identity=identity,
        url=reader_link(link),
        title=entry.title or (page.title if page and page.title else ""),
        author=entry.author or (page.author if page else None),
        published_at=entry.published_at or (page.published_at if page else None),
        text=text,
        region=source.region,
        section=section,
        feed_description=description,
        image_count=page.image_count if page else 0,
        feed_categories=entry.categories,
        page_tags=page.tags if page else (),
        source_tags=source.tags,
        rules=rules,
        image_url=(page.image_url if page else None) or entry.image_url,
        image_alt=page.image_alt if page and page.image_url else None,
    )
    language = (page.language if page else None) or feed.language
    return Collected(draft, language)
