"""Golden pages in the seed's shape (tests/collect/pages/, written for the project): the clean
text is exactly the expected one; no "Read Also" list, widget or repeated paragraph comes back."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.collect.extract import extract_article, paragraphs_html

PAGES = Path(__file__).resolve().parent / "pages"
NAMES = sorted(p.stem for p in PAGES.glob("*.html"))

# Page furniture: none of it may appear in an article's text.
FURNITURE = [
    r"read also",
    r"see also",
    r"\brelated\b",
    r"\bvotes?\b",
    r"article rating",
    r"notify of",
    r"\bguest\b",
    r"comments",
    r"share (this|on)",
    r"\bwhatsapp\b",
    r"newsletter",
    r"enter your email",
    r"^photo:",
    r"minutes read",
    r"https?://",
]


def extract(name: str) -> str:
    html = (PAGES / f"{name}.html").read_bytes()
    return extract_article(html, f"https://news.example.org/{name}/").text


def test_the_corpus_is_there() -> None:
    assert len(NAMES) >= 2
    for name in NAMES:
        assert (PAGES / f"{name}.txt").is_file()


@pytest.mark.parametrize("name", NAMES)
def test_the_clean_text_is_the_expected_one(name: str) -> None:
    assert extract(name) == (PAGES / f"{name}.txt").read_text(encoding="utf-8").strip()


@pytest.mark.parametrize("name", NAMES)
def test_no_widget_or_related_list_comes_back(name: str) -> None:
    text = extract(name)
    for paragraph in text.split("\n\n"):
        for pattern in FURNITURE:
            assert not re.search(pattern, paragraph, re.I | re.M), (pattern, paragraph)


@pytest.mark.parametrize("name", NAMES)
def test_no_paragraph_comes_twice_not_even_lightly_edited(name: str) -> None:
    paragraphs = extract(name).split("\n\n")
    openings = [" ".join(p.split()[:8]) for p in paragraphs]
    assert len(set(openings)) == len(openings)


def test_page_metadata_from_meta_tags_breadcrumb_and_byline() -> None:
    html = (PAGES / "kano-textile-mill-reopens.html").read_bytes()
    page = extract_article(html, "https://savanna-wire.example.org/2026/11/18/kano/")
    assert page.title == "Kano textile mill reopens with solar power"
    assert page.author == "Hauwa Bello"
    assert page.published_at == datetime(2026, 11, 18, 8, 30, tzinfo=UTC)
    assert page.language == "en-NG"
    # The breadcrumb's region wins over article:section ("Economy"), a topic.
    assert page.section == "West Africa"
    assert page.tags == ("Industry", "Energy")
    assert page.image_url == (
        "https://savanna-wire.example.org/wp-content/uploads/2026/11/kano-mill-looms.jpg"
    )
    assert page.image_alt == "Workers beside a row of looms"

    other = extract_article((PAGES / "tunis-desalination-plant.html").read_bytes(), "https://x/")
    assert (other.author, other.language, other.section) == (
        "Sami Trabelsi",
        "en",
        "Northern Africa",
    )
    assert other.published_at == datetime(2026, 11, 16, 7, 45, tzinfo=UTC)


def test_kept_html_is_paragraphs_only_and_sanitised() -> None:
    html = paragraphs_html(
        '<script>alert(1)</script> &amp; <a href="javascript:x">x</a>\n\nSecond.'
    )
    # Whatever markup the text held is shown as text, never kept as markup.
    assert "<script" not in html and "<a " not in html
    assert "&lt;script&gt;" in html
    assert html.startswith("<p>") and html.endswith("<p>Second.</p>")
    assert html.count("<p>") == 2


def test_text_is_normalised_entities_decoded_and_nfc() -> None:
    page = (
        "<html><body><article><p>"
        + "Cafe\u0301 owners in Se\u0301tif&nbsp;&amp;&#160;their   terraces, again. " * 8
        + "</p></article></body></html>"
    )
    text = extract_article(page.encode(), "https://x.example/a").text
    assert "Café owners in Sétif & their terraces, again." in text
    assert "\u0301" not in text and "&amp;" not in text and "\xa0" not in text
