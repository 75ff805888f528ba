"""Golden tests: articles in the seed's shape (the bundled sample pages, through the page
extractor, and raw page text with its noise left in) edited with the shipped config.yaml's
rules: summary, reading time, tags and region as an editor signed them off in golden/.

A summary must also, whatever golden/ says: contain no boilerplate, no sentence twice, not
the title, end on a full sentence and stay within the budget.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from digest.collect.extract import extract_article
from digest.config import load_settings
from digest.editorial.article_rules import ArticleDraft, edit_article
from digest.editorial.reading_time import count_words
from digest.editorial.sentences import split_sentences
from digest.editorial.summarise import is_boilerplate
from digest.pipeline.summaries import editorial_rules

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden"
PAGES = REPO / "digest" / "samples" / "pages"
EXPECTED = json.loads((GOLDEN / "expected.json").read_text(encoding="utf-8"))
RULES = editorial_rules(load_settings(REPO / "config.yaml", environ={}).editorial)
NOISE = ("Read Also", "Lire aussi", "Click here", "Subscribe", "Abonnez", "Photo", "photo",
         "minutes read", "de lecture", "By ", "Par ", "Comments", "Home", "Accueil")  # fmt: skip


def edited(name: str) -> ArticleDraft:
    if name.endswith(".html"):
        page = extract_article((PAGES / name).read_bytes(), f"https://news.example.org/{name}")
        title, text, section, tags, images = (
            page.title or "",
            page.text,
            page.section,
            page.tags,
            page.image_count,
        )
    else:
        raw = (GOLDEN / name).read_text(encoding="utf-8")
        # Raw page text, noise and all: the title is the line after the breadcrumb.
        title, text, section, tags, images = raw.split("\n\n")[1], raw, None, (), 0
    return edit_article(
        identity=name,
        url=f"https://news.example.org/{name}",
        title=title,
        author=None,
        published_at=None,
        text=text,
        region="",  # a general feed: the region comes from the section or the places named
        section=section,
        feed_categories=(),
        page_tags=tags,
        source_tags=(),
        rules=RULES,
        image_count=images,
    )


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_golden(name: str) -> None:
    article = edited(name)

    assert {
        "summary": article.summary,
        "summary_method": article.summary_method,
        "reading_minutes": article.reading_minutes,
        "tags": article.tags,
        "region": article.region,
    } == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_summary_is_one_an_editor_would_sign_off(name: str) -> None:
    article = edited(name)
    summary = article.summary
    sentences = split_sentences(summary)

    assert summary and count_words(summary) <= RULES.summary_words
    assert len(sentences) <= RULES.summary_sentences
    assert summary.endswith((".", "!", "?", "»", "”", '"'))
    assert not summary.endswith("…")
    assert not any(is_boilerplate(s) for s in sentences)
    assert not any(noise in summary for noise in NOISE)
    assert len({s.casefold() for s in sentences}) == len(sentences)
    assert article.title.casefold() not in summary.casefold()


def test_every_fixture_has_a_golden_entry() -> None:
    fixtures = {p.name for p in PAGES.glob("*.html")} | {p.name for p in GOLDEN.glob("*.txt")}
    assert fixtures == set(EXPECTED)
