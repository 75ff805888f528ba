"""Collect: fetch every source, find new items, fetch teasers' pages, edit and store articles."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from digest import db
from digest.collect.extract import ExtractedArticle, extract_article, html_to_text
from digest.collect.feeds import FeedEntry, parse_feed
from digest.collect.fetch import Fetcher
from digest.collect.identity import article_identity, reader_link
from digest.config import SourceSettings
from digest.editorial.edit import ArticleDraft, EditorialRules, edit_article
from digest.editorial.reading_time import count_words
from digest.errors import CollectError, DigestError
from digest.models import Article, Source
from digest.pipeline.editorial import editorial_rules, summarise_drafts
from digest.pipeline.runtime import Runtime

log = logging.getLogger("digest")


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
    rules = editorial_rules(rt.settings.editorial)
    for entry, page in zip(fresh, pages, strict=True):
        if isinstance(page, DigestError):
            report.problems.append(f"{entry.title or entry.link}: {page.message}")
            log.warning("source %s: item skipped, will retry: %s", source.name, page.message)
            continue
        if isinstance(page, BaseException):
            raise page
        drafts.append(_draft(rules, source, entry, identities[entry], page))
    return await summarise_drafts(rt, drafts)


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
    rules: EditorialRules,
    source: SourceSettings,
    entry: FeedEntry,
    identity: str,
    page: ExtractedArticle | None,
) -> ArticleDraft:
    feed_text = html_to_text(entry.content_html or entry.summary_html)
    text = page.text if page is not None and page.text else feed_text
    link = (page.canonical_url if page else None) or entry.link or ""
    # The feed's description may serve as the summary; not when it is the article itself.
    description = html_to_text(entry.summary_html) if entry.content_html or page else ""
    return edit_article(
        identity=identity,
        url=reader_link(link),
        title=entry.title or (page.title if page and page.title else ""),
        author=entry.author,
        published_at=entry.published_at,
        text=text,
        region=source.region,
        section=page.section if page else None,
        feed_description=description,
        image_count=page.image_count if page else 0,
        feed_categories=entry.categories,
        page_tags=page.tags if page else (),
        source_tags=source.tags,
        rules=rules,
        image_url=(page.image_url if page else None) or entry.image_url,
        image_alt=page.image_alt if page and page.image_url else None,
    )


def _store_articles(rt: Runtime, source_id: int, drafts: list[ArticleDraft], now: datetime) -> int:
    stored = 0
    with db.transaction(rt.sessions) as session:
        for draft in drafts:
            same = Article.identity == draft.identity
            if draft.url:
                same = same | (Article.url == draft.url)
            duplicate = session.scalar(select(Article.id).where(same))
            if duplicate is not None:
                continue  # the same story under another GUID, or from another source
            article = Article(
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
                summary_source_hash=draft.summary_source_hash,
                image_url=draft.image_url,
                image_alt=draft.image_alt,
            )
            try:
                with session.begin_nested():
                    session.add(article)
            except IntegrityError:
                continue  # another process stored the same article a moment ago
            stored += 1
    return stored
