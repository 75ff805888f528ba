"""Summaries: the article rules and summariser the settings ask for, and summaries made again."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select

from digest import db
from digest.config import EditorialSettings, Settings
from digest.editorial.article_rules import (
    ArticleDraft,
    EditorialRules,
    summary_request,
    summary_source_hash,
)
from digest.editorial.regions import Gazetteer
from digest.editorial.summarise import ExtractiveSummariser, Summariser
from digest.editorial.tagging import compile_rule
from digest.models import Article
from digest.pipeline.llm_summariser import LlmSummariser
from digest.pipeline.runtime import Runtime

# Articles loaded and summarised per transaction when summaries are made again.
BATCH = 100


def editorial_rules(settings: EditorialSettings) -> EditorialRules:
    return EditorialRules(
        words_per_minute=settings.words_per_minute,
        seconds_per_image=settings.seconds_per_image,
        summary_words=settings.summary_words,
        summary_sentences=settings.summary_sentences,
        max_tags=settings.max_tags,
        tag_synonyms=dict(settings.tag_synonyms),
        tag_rules=tuple(
            compile_rule(r.tag, r.keywords, r.patterns, r.min_matches) for r in settings.tag_rules
        ),
        gazetteer=Gazetteer.from_mapping(settings.gazetteer),
        infer_region=settings.infer_region,
    )


def make_summariser(settings: Settings) -> Summariser:
    if settings.editorial.summariser == "llm":
        return LlmSummariser(settings.editorial.llm)
    return ExtractiveSummariser()


async def summarise_drafts(
    drafts: list[ArticleDraft], summariser: Summariser, rules: EditorialRules
) -> list[ArticleDraft]:
    """New articles' summaries from the configured summariser (drafts come with the
    extractive one already, which is all the extractive summariser would do again)."""
    if isinstance(summariser, ExtractiveSummariser) or not drafts:
        return drafts
    summaries = await summariser.summarise([d.summary_request(rules) for d in drafts])
    return [
        replace(d, summary=s.text, summary_method=s.method)
        for d, s in zip(drafts, summaries, strict=True)
    ]


@dataclass
class ResummariseReport:
    checked: int = 0
    summarised: int = 0


def resummarise(
    rt: Runtime,
    *,
    since: datetime | None = None,
    force: bool = False,
    summariser: Summariser | None = None,
) -> ResummariseReport:
    """Summaries made again for stored articles (collected since `since`, or all) whose title
    or text changed since their summary was made; every one of them when force. A summary
    with no source hash counts as current: an archive summarised before hashes were kept is
    redone (and billed) only when force asks for it."""
    summariser = summariser or make_summariser(rt.settings)
    rules = editorial_rules(rt.settings.editorial)
    report = ResummariseReport()
    last_id = 0
    while True:
        with rt.sessions() as session:
            query = (
                select(
                    Article.id,
                    Article.title,
                    Article.text,
                    Article.summary_source_hash,
                    Article.language,
                )
                .where(Article.id > last_id)
                .order_by(Article.id)
                .limit(BATCH)
            )
            if since is not None:
                query = query.where(Article.collected_at >= since)
            batch = session.execute(query).all()
        if not batch:
            return report
        last_id = batch[-1].id
        report.checked += len(batch)
        stale = [
            row
            for row in batch
            if force or (row[3] is not None and row[3] != summary_source_hash(row.title, row.text))
        ]
        if not stale:
            continue
        # The feed's description is not kept: made again, a summary is the article's own.
        # No transaction is open while the summariser works (an endpoint may take a while).
        requests = [summary_request(row.title, row.text, "", rules, row.language) for row in stale]
        summaries = asyncio.run(summariser.summarise(requests))
        with db.transaction(rt.sessions) as session:
            for row, summary in zip(stale, summaries, strict=True):
                article = session.get(Article, row.id)
                if article is None or (article.title, article.text) != (row.title, row.text):
                    continue  # deleted or changed meanwhile: the next run sees it
                article.summary, article.summary_method = summary.text, summary.method
                article.summary_source_hash = summary_source_hash(row.title, row.text)
                report.summarised += 1
