"""Turn a collected item into the article the digest shows: text, reading time, tags, summary."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from digest.editorial.reading_time import count_words, reading_minutes
from digest.editorial.summarise import lead_summary
from digest.editorial.tagging import merge_tags


@dataclass(frozen=True)
class EditorialRules:
    words_per_minute: int = 230
    summary_words: int = 60
    max_tags: int = 5


@dataclass(frozen=True)
class ArticleDraft:
    identity: str
    url: str
    title: str
    author: str | None
    published_at: datetime | None
    region: str
    tags: list[str]
    text: str
    word_count: int
    reading_minutes: int
    summary: str
    summary_method: str
    image_url: str | None = None
    image_alt: str | None = None


def edit_article(
    *,
    identity: str,
    url: str,
    title: str,
    author: str | None,
    published_at: datetime | None,
    text: str,
    region: str,
    feed_categories: Sequence[str],
    page_tags: Sequence[str],
    source_tags: Sequence[str],
    rules: EditorialRules,
    image_url: str | None = None,
    image_alt: str | None = None,
) -> ArticleDraft:
    words = count_words(text)
    return ArticleDraft(
        identity=identity,
        url=url,
        title=title or "(untitled)",
        author=author,
        published_at=published_at,
        region=region,
        tags=merge_tags(feed_categories, page_tags, source_tags, limit=rules.max_tags),
        text=text,
        word_count=words,
        reading_minutes=reading_minutes(words, rules.words_per_minute),
        summary=lead_summary(text, title, rules.summary_words),
        summary_method="lead",
        image_url=image_url,
        image_alt=(image_alt or title or None) if image_url else None,
    )
