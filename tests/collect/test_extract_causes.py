"""Golden pages for each cause of lost or garbled text found on real pages
(tests/collect/causes/, written for the project): a charset declared after a non-ASCII title,
repeats that are article text, HTML comments inside paragraphs, a table-laid article, bare
text beside an article's paragraphs."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.collect.extract import extract_article

CAUSES = Path(__file__).resolve().parent / "causes"
NAMES = sorted(p.stem for p in CAUSES.glob("*.html"))


def extract(name: str) -> str:
    html = (CAUSES / f"{name}.html").read_bytes()
    return extract_article(html, f"https://news.example.org/{name}/").text


@pytest.mark.parametrize("name", NAMES)
def test_the_clean_text_is_the_expected_one(name: str) -> None:
    assert extract(name) == (CAUSES / f"{name}.txt").read_text(encoding="utf-8").strip()


def test_a_charset_after_a_non_ascii_title_decodes_the_title_too() -> None:
    html = (CAUSES / "charset-after-title.html").read_bytes()
    assert extract_article(html, "https://x.example/a").title == (
        "Zinder : la coopérative de l’oignon rouvre ses hangars"
    )


def test_a_table_laid_article_is_not_empty_without_its_table_bars() -> None:
    text = extract("table-laid-article")
    assert len(text.split()) > 150
    assert "|" not in text


@pytest.mark.parametrize(
    ("name", "title"),
    [
        # "Headline -- Site": a separator of two hyphens, a site name no tag gives.
        ("title-with-unnamed-site", "Grain silo opens in Maradi"),
        # "Headline-Site": the site's name glued on, in a script written without spaces.
        ("title-glued-site-name", "滨海县新建海水淡化厂正式投产"),
    ],
)
def test_the_title_is_the_headline_without_the_site_name(name: str, title: str) -> None:
    html = (CAUSES / f"{name}.html").read_bytes()
    assert extract_article(html, f"https://news.example.org/{name}/").title == title
