"""Turn a collected item into the article the digest shows: text, reading time, tags, summary."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from digest.editorial.reading_time import count_words, reading_minutes, words_per_minute_in
from digest.editorial.regions import Gazetteer, choose_region
from digest.editorial.summarise import SummaryRequest, extractive_summary
from digest.editorial.tagging import TagRule, merge_tags, rule_tags
from digest.states import SummaryMethod


@dataclass(frozen=True)
class EditorialRules:
    words_per_minute: int = 230
    seconds_per_image: int = 12
    summary_words: int = 60
    summary_sentences: int = 2
    max_tags: int = 5
    tag_synonyms: Mapping[str, str] = field(default_factory=dict)
    tag_rules: tuple[TagRule, ...] = ()
    gazetteer: Gazetteer = field(default_factory=Gazetteer)
    infer_region: bool = True


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
    summary_method: SummaryMethod
    image_url: str | None = None
    image_alt: str | None = None
    # What the summary was made from (see summary_source_hash): unchanged, no new summary.
    summary_source_hash: str = ""
    feed_description: str = ""
    language: str | None = None  # BCP 47, when the page or feed says (or a detector finds)

    def summary_request(self, rules: EditorialRules) -> SummaryRequest:
        return summary_request(self.title, self.text, self.feed_description, rules, self.language)


def summary_request(
    title: str,
    text: str,
    feed_description: str,
    rules: EditorialRules,
    language: str | None = None,
) -> SummaryRequest:
    return SummaryRequest(
        title=title,
        text=text,
        feed_description=feed_description,
        word_budget=rules.summary_words,
        max_sentences=rules.summary_sentences,
        language=language,
    )


def summary_source_hash(title: str, text: str) -> str:
    """A summary is made again only when this changes (or an editor asks)."""
    return hashlib.sha256(f"{title}\n\n{text}".encode()).hexdigest()


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
    section: str | None = None,
    feed_description: str = "",
    image_count: int = 0,
    language: str | None = None,
) -> ArticleDraft:
    """region is the source's (empty when the source has none); section the page's
    article:section or breadcrumb; the summary is the extractive one (the shell may ask
    another summariser afterwards); language (BCP 47) splits its sentences and sets its
    reading speed."""
    title = title or "(untitled)"
    words = count_words(text)
    summary = extractive_summary(summary_request(title, text, feed_description, rules, language))
    return ArticleDraft(
        identity=identity,
        url=url,
        title=title,
        author=author,
        published_at=published_at,
        region=choose_region(
            source_region=region,
            section=section,
            title=title,
            text=text,
            gazetteer=rules.gazetteer,
            infer=rules.infer_region,
        ),
        tags=merge_tags(
            rule_tags(title, text, rules.tag_rules),
            feed_categories,
            page_tags,
            source_tags,
            limit=rules.max_tags,
            synonyms=rules.tag_synonyms,
        ),
        text=text,
        word_count=words,
        reading_minutes=reading_minutes(
            words,
            words_per_minute_in(language, rules.words_per_minute),
            image_count,
            rules.seconds_per_image,
        ),
        summary=summary.text,
        summary_method=summary.method,
        image_url=image_url,
        image_alt=(image_alt or title or None) if image_url else None,
        summary_source_hash=summary_source_hash(title, text),
        feed_description=feed_description,
        language=language,
    )
