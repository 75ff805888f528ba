"""Golden pages for each cause of lost or garbled text found on real pages
(tests/collect/causes/, written for the project): a charset declared after a non-ASCII title,
repeats that are article text, HTML comments inside paragraphs, a table-laid article, bare
text beside an article's paragraphs."""

from __future__ import annotations

import time
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


_LAMPS = (
    "<p>The night market of Kessa opened again on Friday after two dark winters, lit by four"
    " hundred lamps that its stallholders made from old tins and glass jars.</p>"
)


def _page_with(inner: str) -> bytes:
    old, quiet = _LAMPS.replace("night", "old"), _LAMPS.replace("night", "quiet")
    return (
        "<html><head><title>Kessa lamps</title></head><body><article><h1>Kessa lamps</h1>"
        f"{_LAMPS}{old}{inner}{quiet}</article></body></html>"
    ).encode()


@pytest.mark.parametrize("mark", ["img-wrap nocaption", "media no_caption"])
def test_a_pictures_credit_in_a_wrapper_without_caption_still_goes(mark: str) -> None:
    """A picture's wrapper saying it has no caption, its credit in a <p>: still no article
    text (only a heading or more words than a credit's are)."""
    credit = "Jane Doe took this picture of the lamps of the square from the roof of the town hall"
    inner = f'<div class="{mark}"><img src="/a.jpg"><p>{credit}</p></div>'
    text = extract_article(_page_with(inner), "https://news.example.org/a/").text
    assert "quiet market" in text and "Jane Doe" not in text


def test_a_list_item_without_caption_keeps_its_heading() -> None:
    inner = (
        '<ul><li class="no_caption"><h2>Stallholders say the lamps cost them less than a'
        " month of the electricity they used to pay for.</h2></li></ul>"
    )
    text = extract_article(_page_with(inner), "https://news.example.org/a/").text
    assert "less than a month of the electricity" in text


def test_nested_wrappers_without_caption_cost_no_more_than_the_page() -> None:
    """A hostile page of wrappers nested 250 deep, each saying it has no caption, over many
    paragraphs: each wrapper looks at a few of its blocks, not all of them (before: every
    wrapper listed every block below it, 3x the extraction's time)."""
    blocks = "".join(f"<p>{n}</p>" for n in range(20000))
    nested = '<div class="item no_caption">' * 250 + blocks + "</div>" * 250
    started = time.perf_counter()
    extract_article(_page_with(nested), "https://news.example.org/a/")
    with_marks = time.perf_counter() - started
    plain = nested.replace(" no_caption", "")
    started = time.perf_counter()
    extract_article(_page_with(plain), "https://news.example.org/a/")
    without = time.perf_counter() - started
    assert with_marks < 1.5 * without + 0.2, (with_marks, without)
