"""The articles a page appends after its own go; anything less sure stays."""

from __future__ import annotations

import lxml.html

from digest.collect.appended_articles import drop_appended_articles


def _headings(body: str, title: str | None) -> list[str]:
    tree = lxml.html.document_fromstring(f"<html><body>{body}</body></html>")
    drop_appended_articles(tree, title)
    return [h.text_content() for h in tree.iter("h1", "h2")]


_STREAM = (
    "<article><h1>Next story</h1><p>Other text.</p></article>"
    "<article><h1>The ferry sails again</h1><p>Text.</p></article>"
    "<article><h1>Third story</h1><p>More text.</p></article>"
)


def test_the_article_headed_by_the_title_stays_and_the_others_go() -> None:
    assert _headings(_STREAM, "The ferry sails again!") == ["The ferry sails again"]


def test_nothing_goes_when_no_heading_is_the_title() -> None:
    assert _headings(_STREAM, "Another headline") == [
        "Next story",
        "The ferry sails again",
        "Third story",
    ]
    assert len(_headings(_STREAM, None)) == 3


def test_teaser_cards_without_an_h1_stay() -> None:
    body = (
        "<article><h1>The ferry sails again</h1><p>Text.</p></article>"
        "<article><h2><a href='/b'>A teaser</a></h2></article>"
    )
    assert _headings(body, "The ferry sails again") == ["The ferry sails again", "A teaser"]


def test_nothing_goes_when_two_articles_have_the_title() -> None:
    body = _STREAM + "<article><h1>The ferry sails again</h1></article>"
    assert len(_headings(body, "The ferry sails again")) == 4
