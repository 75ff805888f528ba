"""Store collected articles: one row per story, regions and tags merged, duplicates flagged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from digest.collect.identity import TitleIndex
from digest.editorial.edit import ArticleDraft
from digest.models import Article

# Titles this alike, collected within this long of each other, are the same story.
_DUPLICATE_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class Collected:
    """An edited article with what the editorial step does not carry."""

    draft: ArticleDraft
    language: str | None
    region: str


def store_articles(
    session: Session, source_id: int, items: list[Collected], now: datetime, max_tags: int
) -> int:
    """Store a source's new stories in the caller's transaction; the count of new ones."""
    if not items:
        return 0
    try:
        with session.begin_nested():
            return _add_articles(session, source_id, items, now, max_tags)
    except IntegrityError:
        pass  # another process stored one of them a moment ago: one by one, then
    stored = 0
    for item in items:
        try:
            with session.begin_nested():
                stored += _add_articles(session, source_id, [item], now, max_tags)
        except IntegrityError:
            continue
    return stored


def _add_articles(
    session: Session, source_id: int, items: list[Collected], now: datetime, max_tags: int
) -> int:
    """New stories added (flushed), known ones merged; the count of new ones."""
    recent = TitleIndex()
    for article_id, title in session.execute(
        select(Article.id, Article.title).where(
            Article.collected_at >= now - _DUPLICATE_WINDOW,
            Article.duplicate_of_id.is_(None),
        )
    ):
        recent.add(article_id, title)
    identities = [i.draft.identity for i in items]
    urls = [i.draft.url for i in items if i.draft.url]
    known = list(
        session.scalars(
            select(Article).where(Article.identity.in_(identities) | Article.url.in_(urls))
        )
    )
    by_identity = {a.identity: a for a in known}
    by_url = {a.url: a for a in known if a.url}
    # Stories added in this batch have no id before the flush: negative keys stand for them.
    pending: dict[int, Article] = {}
    duplicates: list[tuple[Article, int]] = []
    for item in items:
        draft = item.draft
        existing = by_identity.get(draft.identity) or (by_url.get(draft.url) if draft.url else None)
        if existing is not None:
            # The same story under another GUID, or from another source: one article,
            # with both sources' regions and tags.
            _merge(existing, item, max_tags)
            continue
        article = Article(
            identity=draft.identity,
            source_id=source_id,
            url=draft.url,
            title=draft.title,
            author=draft.author,
            published_at=draft.published_at,
            collected_at=now,
            region=draft.region,
            regions=[item.region] if item.region else [],
            tags=draft.tags,
            text=draft.text,
            word_count=draft.word_count,
            reading_minutes=draft.reading_minutes,
            summary=draft.summary,
            summary_method=draft.summary_method,
            summary_source_hash=draft.summary_source_hash,
            image_url=draft.image_url,
            image_alt=draft.image_alt,
            language=item.language,
        )
        session.add(article)
        by_identity[draft.identity] = article
        if draft.url:
            by_url[draft.url] = article
        original = recent.match(draft.title)
        if original is None:
            key = -1 - len(pending)
            pending[key] = article
            recent.add(key, draft.title)
        else:
            duplicates.append((article, original))
    session.flush()
    for article, original in duplicates:
        article.duplicate_of_id = pending[original].id if original < 0 else original
    session.flush()
    return len(pending) + len(duplicates)


def _merge(article: Article, item: Collected, max_tags: int) -> None:
    regions = list(article.regions or ([article.region] if article.region else []))
    if item.region and item.region.casefold() not in {r.casefold() for r in regions}:
        article.regions = [*regions, item.region]
    tags = list(article.tags or [])
    known = {t.casefold() for t in tags}
    extra = [t for t in item.draft.tags if t.casefold() not in known]
    if extra and len(tags) < max_tags:
        article.tags = [*tags, *extra][:max_tags]
