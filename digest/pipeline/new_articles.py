"""Of a source's feed, the items not stored yet: teasers' pages fetched, each item edited."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select

from digest.collect.extract import ExtractedArticle, html_to_text
from digest.collect.feeds import FeedEntry, ParsedFeed
from digest.collect.fetch import Fetcher
from digest.collect.identity import article_identity, reader_link
from digest.collect.language import article_language
from digest.collect.text import REGION_LENGTH, short_label
from digest.config import SourceSettings
from digest.editorial.article_rules import EditorialRules, edit_article
from digest.editorial.reading_time import count_words
from digest.editorial.summarise import Summariser, carries_a_sentence
from digest.errors import DigestError
from digest.models import Article
from digest.pipeline.extracting import PageExtractor
from digest.pipeline.runtime import Runtime, source_location
from digest.pipeline.storing import Collected
from digest.pipeline.summaries import summarise_drafts

log = logging.getLogger("digest")
_T = TypeVar("_T")


async def in_thread(database: Executor, work: Callable[..., _T], *args: Any) -> _T:
    """Database work off the event loop, in the collection's database thread."""
    return await asyncio.get_running_loop().run_in_executor(database, work, *args)


@dataclass(frozen=True)
class ArticleEditor:
    """The run's editorial rules and summariser, shared by every source."""

    rules: EditorialRules
    summariser: Summariser


async def new_articles(
    rt: Runtime,
    fetcher: Fetcher,
    extractor: PageExtractor,
    database: Executor,
    editor: ArticleEditor,
    source: SourceSettings,
    feed: ParsedFeed,
    local_folders: tuple[Path, ...],
    problems: list[str],
) -> list[Collected]:
    """The feed's items not stored yet, edited and summarised; an item that fails is named
    in problems and left to the next run."""
    entries = feed.entries
    # The configured address, not where a redirect led: identities stay put when a feed moves.
    scope = source_location(rt.settings, source)
    identities = {
        e: article_identity(e.guid, e.link, e.title, e.summary_html, feed_url=scope)
        for e in entries
    }
    known = await in_thread(database, _known, rt, list(identities.values()))
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
            problems.append(f"{entry.title or entry.link}: {page.message}")
            log.warning("source %s: item skipped, will retry: %s", source.name, page.message)
            continue
        if isinstance(page, Exception):
            # Not stored, so it is tried again next run; the rest of the feed is kept.
            problem = f"unexpected: {type(page).__name__}: {page}"
            problems.append(f"{entry.title or entry.link}: {problem}")
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
    if not entry.link:
        return None
    if entry.content_html:
        # Full content, unless it says nothing (reddit's "submitted by … [959 comments]").
        if carries_a_sentence(html_to_text(entry.content_html)):
            return None
    elif count_words(html_to_text(entry.summary_html)) >= rt.settings.collect.teaser_words:
        return None
    response = await fetcher.fetch(entry.link, local_folders=local_folders)
    # The page's own metadata fills only what the feed left out: read it only then.
    lacking = not (entry.title and entry.author and entry.published_at and entry.categories)
    return await extractor.extract(
        response.body, response.url, source.selector, response.content_type or None, lacking
    )


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
    title = entry.title or (page.title if page and page.title else "")
    # The text decides; the page's, the item's and the feed's tags only when they agree or the
    # text is too short to tell.
    language = article_language(
        f"{title}\n{text}",
        [page.language if page else None, entry.language, feed.language],
    )
    draft = edit_article(
        identity=identity,
        url=reader_link(link),
        title=title,
        author=entry.author or (page.author if page else None),
        published_at=entry.published_at or (page.published_at if page else None),
        text=text,
        region=source.region,
        section=section,
        feed_description=description,
        image_count=page.image_count if page else 0,
        feed_categories=entry.categories or (page.categories if page else ()),
        page_tags=page.tags if page else (),
        source_tags=source.tags,
        rules=rules,
        image_url=(page.image_url if page else None) or entry.image_url,
        image_alt=page.image_alt if page and page.image_url else None,
        language=language,
    )
    return Collected(draft, language)
