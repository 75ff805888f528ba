"""Collect: fetch every source, find new items, fetch teasers' pages, edit and store articles."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Collection
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from digest import db
from digest.collect.feed_parser import FeedParser
from digest.collect.feeds import ParsedFeed, discover_feeds, looks_like_html
from digest.collect.fetch import Fetcher, FetchResponse
from digest.collect.identity import TitleIndex
from digest.config import SourceSettings
from digest.delivery.send_loop import Progress
from digest.errors import CollectError, RetryLater, SourceGone
from digest.models import Source
from digest.pipeline.extracting import PageExtractor
from digest.pipeline.new_articles import ArticleEditor, in_thread, new_articles
from digest.pipeline.runtime import Runtime
from digest.pipeline.sources import settings_of
from digest.pipeline.storing import Collected, recent_titles, store_articles
from digest.pipeline.summaries import editorial_rules, make_summariser

log = logging.getLogger("digest")


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

    @property
    def every_source_failed(self) -> bool:
        """No source worked and at least one failed: a source not fetched this time
        (inactive, or asked to wait) counts as neither."""
        errors = [s for s in self.sources if s.error]
        return bool(errors) and all(s.error or s.skipped for s in self.sources)


def collect(
    rt: Runtime,
    now: datetime,
    progress: Progress | None = None,
    only: Collection[str] | None = None,
) -> CollectReport:
    """Fetch every enabled source of the database (only those named, when given); new
    articles are edited and stored. One failing source is reported and leaves the others (and
    everything stored before) untouched. progress hears (sources done, sources) as each one is
    done."""
    return asyncio.run(_collect_all(rt, now, progress, only))


async def _collect_all(
    rt: Runtime, now: datetime, progress: Progress | None, only: Collection[str] | None
) -> CollectReport:
    settings = rt.settings.collect
    with rt.sessions() as session:
        rows: dict[str, _Stored] = {}
        sources: list[SourceSettings] = []
        invalid: list[SourceReport] = []
        query = select(Source).where(Source.enabled.is_(True)).order_by(Source.id)
        for r in session.scalars(query):
            if only is not None and r.name not in only:
                continue
            try:
                sources.append(settings_of(r))
            except ValueError as exc:
                # A row no longer valid (edited by hand?) fails alone, saying why.
                invalid.append(SourceReport(r.name, error=f"invalid source: {exc}"[:2000]))
                continue
            rows[r.name] = _Stored(r.id, r.url, r.etag, r.last_modified, r.active, r.retry_after_at)
        # Read once for the run; only the database thread uses it from here on.
        recent = recent_titles(session, now)
    # Built once for the run: compiled rules, and one summariser whose concurrency limit holds
    # over every source at once.
    editor = ArticleEditor(editorial_rules(rt.settings.editorial), make_summariser(rt.settings))
    # One thread does all the database work, one statement after another: threads taking
    # turns at SQLite's write lock would wait in its busy handler's sleeps instead.
    with ThreadPoolExecutor(1, thread_name_prefix="digest-collect-db") as database:
        async with (
            Fetcher(settings, clock=lambda: now) as fetcher,
            PageExtractor(settings.extract_workers) as extractor,
        ):
            parser = FeedParser(settings)
            total, done = len(sources), 0

            async def counted(report: Awaitable[SourceReport]) -> SourceReport:
                nonlocal done
                try:
                    return await report
                finally:
                    done += 1
                    if progress is not None:
                        progress(done, total)

            reports = await asyncio.gather(
                *(
                    counted(
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
                    )
                    for source in sources
                )
            )
    return CollectReport([*reports, *invalid])


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
    editor: ArticleEditor,
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
            collected = await new_articles(
                rt,
                fetcher,
                extractor,
                database,
                editor,
                source,
                feed,
                page_folders,
                report.problems,
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
        await in_thread(database, _record, rt, recent, stored.id, collected, report, outcome, now)
    except Exception as exc:
        # What this source's articles could not be stored for is its error alone: the run
        # and the other sources go on, and its health says why (recorded without them).
        report.new_articles = 0
        report.error = f"unexpected while storing: {type(exc).__name__}: {exc}"[:2000]
        log.exception("source %s: its articles could not be stored", source.name)
        try:
            await in_thread(database, _record, rt, recent, stored.id, [], report, outcome, now)
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
        return (
            await parser.parse(response.body, response.url, response.content_type),
            response,
            None,
        )
    except CollectError:
        if not looks_like_html(response.body):
            raise
    candidates = discover_feeds(response.body, response.url)
    for candidate in candidates:
        try:
            found = await fetcher.fetch(candidate, local_folders=local_folders)
            parsed = await parser.parse(found.body, found.url, found.content_type)
            return parsed, found, found.moved_to or candidate
        except CollectError:
            continue
    raise CollectError(
        f"{response.url}: not an RSS or Atom feed, nor a page announcing one that works"
        f" (tried {len(candidates)} feed address(es))",
        hint="set the source's url to the site's RSS or Atom feed",
    )
