"""A story an editor adds to a draft by its URL: fetched through collection's guarded fetcher,
extracted and edited as collection does, stored as an article, placed in the issue."""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy import select

from digest import db
from digest.collect.extract import ExtractedArticle, extract_article
from digest.collect.fetch import Fetcher
from digest.collect.identity import article_identity, reader_link
from digest.collect.text import REGION_LENGTH, short_label
from digest.editorial.article_rules import ArticleDraft, EditorialRules, edit_article
from digest.editorial.curate import DEFAULT_SECTION
from digest.errors import DigestError
from digest.links import is_http_url
from digest.models import Article, IssueArticle
from digest.pipeline.editor_actions import _draft, _touch
from digest.pipeline.runtime import Runtime
from digest.pipeline.storing import Collected, recent_titles, store_articles
from digest.pipeline.summaries import editorial_rules, make_summariser, summarise_drafts


def add_story(rt: Runtime, issue_id: int, url: str, *, editor: str, now: datetime) -> int:
    """The article of the page at url (collected now, or found already stored) added at the end
    of its section in the draft; its id. Only http(s) pages, through the SSRF guard."""
    url = url.strip()
    if not is_http_url(url):
        raise DigestError(
            f"{url[:200]!r} is not a web page's address", hint="paste an http:// or https:// URL"
        )
    with rt.sessions() as session:
        _draft(session, issue_id)  # a draft (and there is one) before fetching anything
    item = asyncio.run(_collected(rt, url, now))
    with db.transaction(rt.sessions) as session:
        issue = _draft(session, issue_id)
        store_articles(
            session, None, [item], now, rt.settings.editorial.max_tags, recent_titles(session, now)
        )
        article = session.scalar(
            select(Article).where(
                (Article.identity == item.draft.identity) | (Article.url == item.draft.url)
            )
        )
        assert article is not None  # stored just now, or already
        if any(entry.article_id == article.id for entry in issue.entries):
            raise DigestError("this story is already in the issue", hint="find it in the list")
        issue.entries.append(
            IssueArticle(
                article_id=article.id,
                position=len(issue.entries),
                section=article.region or DEFAULT_SECTION,
            )
        )
        # Removed once, wanted now: composing again keeps it.
        excluded = [i for i in issue.excluded_article_ids or [] if i != article.id]
        issue.excluded_article_ids = excluded
        _touch(rt.settings, issue, editor, now)
        return article.id


async def _collected(rt: Runtime, url: str, now: datetime) -> Collected:
    async with Fetcher(rt.settings.collect, clock=lambda: now) as fetcher:
        response = await fetcher.fetch(url)
    page = await asyncio.to_thread(extract_article, response.body, response.url, None)
    if not page.text:
        raise DigestError(
            f"{url}: no article text found on the page", hint="give the article's own page"
        )
    rules = editorial_rules(rt.settings.editorial)
    draft = _draft_of(page, response.url, rules)
    [draft] = await summarise_drafts([draft], make_summariser(rt.settings), rules)
    return Collected(draft, page.language)


def _draft_of(page: ExtractedArticle, url: str, rules: EditorialRules) -> ArticleDraft:
    link = reader_link(page.canonical_url or url)
    title = page.title or ""
    return edit_article(
        identity=article_identity(None, link, title, page.text, feed_url=link),
        url=link,
        title=title,
        author=page.author,
        published_at=page.published_at,
        text=page.text,
        region="",
        section=short_label(page.section, REGION_LENGTH),
        feed_categories=(),
        page_tags=page.tags,
        source_tags=(),
        rules=rules,
        image_url=page.image_url,
        image_alt=page.image_alt if page.image_url else None,
        image_count=page.image_count,
    )
