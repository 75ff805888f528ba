"""The articles collected in a period, as an editor checks them in the terminal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from digest.models import Article, Source
from digest.pipeline.runtime import Runtime
from digest.states import SummaryMethod


@dataclass(frozen=True)
class ArticleListing:
    """An article as an editor checks it in the terminal."""

    id: int
    title: str
    source: str
    region: str
    tags: tuple[str, ...]
    reading_minutes: int
    summary: str
    summary_method: SummaryMethod
    collected_at: datetime
    url: str
    language: str | None  # BCP 47, detected from the text when the source did not say


def articles_collected(rt: Runtime, start: datetime, end: datetime) -> list[ArticleListing]:
    """Articles collected in [start, end), oldest first."""
    with rt.sessions() as session:
        query = (
            select(Article, Source.name)
            .outerjoin(Source, Source.id == Article.source_id)
            .where(Article.collected_at >= start, Article.collected_at < end)
            .order_by(Article.collected_at, Article.id)
        )
        return [_listing(a, source) for a, source in session.execute(query)]


def _listing(a: Article, source: str | None) -> ArticleListing:
    return ArticleListing(
        id=a.id,
        title=a.title,
        source=source or "",
        region=a.region,
        tags=tuple(a.tags or ()),
        reading_minutes=a.reading_minutes,
        summary=a.summary,
        summary_method=a.summary_method,
        collected_at=a.collected_at,
        url=a.url,
        language=a.language,
    )


def articles_after(rt: Runtime, after: int, limit: int) -> list[ArticleListing]:
    """At most limit articles with an id above after, in id order (the API's pages)."""
    with rt.sessions() as session:
        query = (
            select(Article, Source.name)
            .outerjoin(Source, Source.id == Article.source_id)
            .where(Article.id > after)
            .order_by(Article.id)
            .limit(limit)
        )
        return [_listing(a, source) for a, source in session.execute(query)]
