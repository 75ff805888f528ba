"""Store collected articles: one row per story, regions and tags merged, duplicates flagged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from digest.collect.identity import TitleIndex, may_repeat, same_story
from digest.editorial.article_rules import ArticleDraft
from digest.models import Article

# Titles and texts this alike, collected within this long of each other, are the same story.
_DUPLICATE_WINDOW = timedelta(days=7)
# Stored stories with a near-identical title whose texts are read to compare, at most.
_CANDIDATES = 20


@dataclass(frozen=True)
class Collected:
    """An edited article with what the editorial step does not carry."""

    draft: ArticleDraft
    language: str | None


def recent_titles(session: Session, now: datetime) -> TitleIndex:
    """The titles of the stories stored within the duplicate window: read once per collection
    run, then kept up to date by store_articles."""
    recent = TitleIndex()
    for article_id, title in session.execute(
        select(Article.id, Article.title).where(
            Article.collected_at >= now - _DUPLICATE_WINDOW,
            Article.duplicate_of_id.is_(None),
        )
    ):
        recent.add(article_id, title)
    return recent


def store_articles(
    session: Session,
    source_id: int | None,
    items: list[Collected],
    now: datetime,
    max_tags: int,
    recent: TitleIndex,
) -> int:
    """Store a source's new stories in the caller's transaction; the count of new ones.
    recent (from recent_titles) flags near-duplicates and learns the new stories' titles."""
    if not items:
        return 0
    try:
        with session.begin_nested():
            return _add_articles(session, source_id, items, now, max_tags, recent)
    except IntegrityError:
        pass  # another process stored one of them a moment ago: one by one, then
    stored = 0
    for item in items:
        try:
            with session.begin_nested():
                stored += _add_articles(session, source_id, [item], now, max_tags, recent)
        except IntegrityError:
            continue
    return stored


def _add_articles(
    session: Session,
    source_id: int | None,
    items: list[Collected],
    now: datetime,
    max_tags: int,
    recent: TitleIndex,
) -> int:
    """New stories added (flushed), known ones merged; the count of new ones."""
    # The batch's own stories have no id before the flush: they are matched here, under
    # negative keys, and join recent only once flushed.
    batch = TitleIndex()
    identities = [i.draft.identity for i in items]
    urls = [i.draft.url for i in items if i.draft.url]
    known = list(
        session.scalars(
            select(Article).where(Article.identity.in_(identities) | Article.url.in_(urls))
        )
    )
    by_identity = {a.identity: a for a in known}
    by_url = {a.url: a for a in known if a.url}
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
            regions=[draft.region] if draft.region else [],
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
        original = _original(session, draft, recent, batch, pending)
        if original is None:
            key = -1 - len(pending)
            pending[key] = article
            batch.add(key, draft.title)
        else:
            duplicates.append((article, original))
    session.flush()
    for article, original in duplicates:
        article.duplicate_of_id = pending[original].id if original < 0 else original
    session.flush()
    for article in pending.values():
        recent.add(article.id, article.title)
    return len(pending) + len(duplicates)


def _original(
    session: Session,
    draft: ArticleDraft,
    recent: TitleIndex,
    batch: TitleIndex,
    pending: dict[int, Article],
) -> int | None:
    """The key of the story this draft tells again (a recent article's id, or a negative key
    of this batch's), if any: a near-identical title, then the same content (same_story)."""
    if not may_repeat(draft.title, draft.text):
        return None
    stored = recent.matches(draft.title)[:_CANDIDATES]
    if stored:
        rows = session.execute(
            select(Article.id, Article.title, Article.text).where(Article.id.in_(stored))
        )
        texts = {row.id: (row.title, row.text) for row in rows}
        for key in stored:
            if key in texts and same_story(draft.title, draft.text, *texts[key]):
                return key
    for key in batch.matches(draft.title)[:_CANDIDATES]:
        if same_story(draft.title, draft.text, pending[key].title, pending[key].text):
            return key
    return None


def _merge(article: Article, item: Collected, max_tags: int) -> None:
    regions = list(article.regions or ([article.region] if article.region else []))
    region = item.draft.region
    if region and region.casefold() not in {r.casefold() for r in regions}:
        article.regions = [*regions, region]
    tags = list(article.tags or [])
    known = {t.casefold() for t in tags}
    extra = [t for t in item.draft.tags if t.casefold() not in known]
    if extra and len(tags) < max_tags:
        article.tags = [*tags, *extra][:max_tags]
