"""edit_article: the article the digest shows, from a collected item and the editorial rules."""

from __future__ import annotations

from datetime import UTC, datetime

from digest.editorial.article_rules import ArticleDraft, EditorialRules, edit_article

TEXT = (
    "Tunisian olive oil exports rose 18.5% in volume during the first ten months of the year. "
    "The increase follows two seasons of drought.\n\n"
    "Mr. Hedi Ben Slama, who farms near Sfax, said the price fell by almost a third. "
    + " ".join(["Growers say the recovery remains fragile."] * 80)
)


def draft(**changes: object) -> ArticleDraft:
    values: dict[str, object] = {
        "identity": "guid:olive-1",
        "url": "https://news.example.net/olive-oil",
        "title": "Tunisia’s olive oil exports climb",
        "author": "Karim Haddad",
        "published_at": datetime(2026, 11, 18, 8, 5, tzinfo=UTC),
        "text": TEXT,
        "region": "Northern Africa",
        "feed_categories": ["Agriculture", "Economy"],
        "page_tags": ["economy", "Trade"],
        "source_tags": ["Maghreb"],
        "rules": EditorialRules(),
    }
    values.update(changes)
    return edit_article(**values)  # type: ignore[arg-type]


def test_edit_article_counts_words_and_reading_time() -> None:
    article = draft()

    assert article.word_count == 40 + 6 * 80  # 40 words of lead, then 80 six-word sentences
    assert article.reading_minutes == 3  # 520 words at 230 a minute, rounded up
    assert draft(rules=EditorialRules(words_per_minute=100)).reading_minutes == 6


def test_edit_article_merges_tags_from_every_source() -> None:
    assert draft().tags == ["Agriculture", "Economy", "Trade", "Maghreb"]
    assert draft(rules=EditorialRules(max_tags=2)).tags == ["Agriculture", "Economy"]


def test_edit_article_summary_is_extractive_within_the_budget() -> None:
    article = draft(rules=EditorialRules(summary_words=30))

    # The opening sentence; the rest shares no words with the article (80 times the same
    # filler aside), so nothing pads the summary out to its budget.
    assert article.summary == (
        "Tunisian olive oil exports rose 18.5% in volume during the first ten months of the year."
    )
    assert article.summary_method == "extractive"


def test_edit_article_uses_a_clean_feed_description() -> None:
    article = draft(feed_description="Exports of olive oil grew by almost a fifth this year.")

    assert article.summary == "Exports of olive oil grew by almost a fifth this year."
    assert article.summary_method == "feed"
    # A teaser cut short is not a summary.
    assert draft(
        feed_description="Exports of olive oil grew by almost a fifth…"
    ).summary_method == ("extractive")


def test_edit_article_keeps_identity_and_metadata() -> None:
    article = draft()

    assert article.identity == "guid:olive-1"
    assert article.url == "https://news.example.net/olive-oil"
    assert article.author == "Karim Haddad"
    assert article.region == "Northern Africa"
    assert article.published_at == datetime(2026, 11, 18, 8, 5, tzinfo=UTC)
    assert article.text == TEXT


def test_edit_article_without_title_or_text() -> None:
    article = draft(title="", text="")

    assert article.title == "(untitled)"
    assert article.word_count == 0
    assert article.reading_minutes == 1
    assert article.summary == ""
