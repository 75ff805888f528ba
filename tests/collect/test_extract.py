"""extract_article, html_to_text and clean_text: the article and nothing of the page around it."""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html
import pytest

from digest.collect.extract import (
    ExtractedArticle,
    _furniture,
    clean_text,
    extract_article,
    html_to_text,
)

PAGES = Path(__file__).resolve().parents[2] / "digest" / "samples" / "pages"

# What each bundled page says about itself in its <head> (written out, not read from the page).
PAGE_META = {
    "alexandria-shared-health-records.html": (
        "https://maghreb-dispatch.example.org/2026/11/19/alexandria-shared-health-records/",
        "Northern Africa",
        ("Health",),
    ),
    "dakar-coding-hub-mobile-payments.html": (
        "https://sahelcoast.example.org/2026/11/17/dakar-coding-hub-mobile-payments/",
        "West Africa",
        ("Technology", "Economy"),
    ),
    "fes-andalusian-music-festival.html": (
        "https://maghreb-dispatch.example.org/2026/11/21/fes-andalusian-music-festival/",
        "Northern Africa",
        ("Culture",),
    ),
    "mano-river-health-surveillance.html": (
        "https://sahelcoast.example.org/2026/11/19/mano-river-health-surveillance/",
        "West Africa",
        ("Health", "Global ties"),
    ),
    "morocco-senegal-hydrogen-memorandum.html": (
        "https://maghreb-dispatch.example.org/2026/11/17/morocco-senegal-hydrogen-memorandum/",
        "Northern Africa",
        ("Global ties", "Energy"),
    ),
    "segou-solar-irrigation-rice.html": (
        "https://sahelcoast.example.org/2026/11/22/segou-solar-irrigation-rice/",
        "West Africa",
        ("Agriculture", "Energy"),
    ),
}


def test_every_bundled_page_is_covered() -> None:
    assert sorted(p.name for p in PAGES.glob("*.html")) == sorted(PAGE_META)


_cache: dict[str, ExtractedArticle] = {}


def _extract(name: str) -> ExtractedArticle:
    # trafilatura is the slow part: extract each page once for all the checks below.
    if name not in _cache:
        _cache[name] = extract_article(
            (PAGES / name).read_bytes(), f"http://127.0.0.1:8765/pages/{name}"
        )
    return _cache[name]


def _body_paragraphs(name: str) -> list[str]:
    tree = lxml.html.document_fromstring((PAGES / name).read_bytes())
    paragraphs = tree.xpath("//div[contains(@class,'entry-content')]/p")
    return [" ".join(p.text_content().split()) for p in paragraphs]


page_names = pytest.mark.parametrize("name", sorted(PAGE_META))


@page_names
def test_page_text_is_substantial(name: str) -> None:
    text = _extract(name).text

    paragraphs = text.split("\n\n")
    assert len(paragraphs) >= 5
    assert len(text.split()) > 250
    assert all(p.strip() == p and p for p in paragraphs)


@page_names
def test_page_text_has_no_read_also_block(name: str) -> None:
    text = _extract(name).text

    assert "read also" not in text.casefold()
    assert not re.search(r"https?://", text)


@page_names
def test_page_text_keeps_the_paragraph_after_the_read_also_links(name: str) -> None:
    paragraphs = _body_paragraphs(name)
    heading = next(i for i, p in enumerate(paragraphs) if p.casefold().startswith("read also"))
    after = next(p for p in paragraphs[heading + 1 :] if not p.startswith("http"))

    assert after in _extract(name).text.replace("\n\n", "\n").splitlines()


@page_names
def test_page_text_has_no_bare_url_lines(name: str) -> None:
    text = _extract(name).text

    assert not [line for line in text.splitlines() if re.fullmatch(r"\s*https?://\S+\s*", line)]


@page_names
def test_page_text_has_no_comment_widget(name: str) -> None:
    text = _extract(name).text.casefold()

    for words in ("article rating", "notify of", "view all comments", "inline feedbacks"):
        assert words not in text
    assert not re.search(r"\bvotes?\b", text)
    assert not re.search(r"\b\d+ comments?\b", text)


@page_names
def test_page_text_has_no_reading_time_badge(name: str) -> None:
    text = _extract(name).text

    assert not re.search(r"\(\s*\d+\s*min(ute)?s?\s+read\s*\)", text, re.I)
    assert not re.search(r"\bminutes? read\b", text, re.I)


@page_names
def test_page_lead_paragraph_appears_once(name: str) -> None:
    text = _extract(name).text
    lead = _body_paragraphs(name)[0]
    opening = " ".join(lead.split()[:12])

    assert text.count(opening) == 1
    assert text.startswith(opening)


@page_names
def test_page_metadata_comes_from_the_head(name: str) -> None:
    canonical, section, tags = PAGE_META[name]

    article = _extract(name)

    assert article.canonical_url == canonical
    assert article.section == section
    assert article.tags == tags
    assert article.title


def test_page_title_comes_from_og_title() -> None:
    article = _extract("morocco-senegal-hydrogen-memorandum.html")

    assert article.title == "Morocco and Senegal sign green hydrogen & power grid memorandum"


def test_page_without_canonical_or_meta_tags() -> None:
    html = (
        "<html><head><title>Plain</title></head><body><article>"
        "<h1>Market day in Kindia</h1>"
        "<p>The weekly market in Kindia drew traders from three prefectures on Saturday, "
        "with prices for rice and palm oil steady after a month of increases.</p>"
        "<p>Traders said the new road to Conakry had cut the journey to the coast by "
        "two hours, and that more buyers were coming from the capital every week.</p>"
        "</article></body></html>"
    )

    article = extract_article(html, "https://news.example.net/kindia-market")

    assert article.canonical_url is None
    assert article.section is None
    assert article.tags == ()
    assert article.title == "Market day in Kindia"


def test_relative_canonical_is_made_absolute() -> None:
    html = (
        '<html><head><link rel="canonical" href="/2026/03/kindia-market/"></head>'
        "<body><p>Short.</p></body></html>"
    )

    article = extract_article(html, "https://news.example.net/?p=42")

    assert article.canonical_url == "https://news.example.net/2026/03/kindia-market/"


def test_empty_page_gives_an_empty_article() -> None:
    article = extract_article(b"", "https://news.example.net/empty")

    assert article.text == ""
    assert article.tags == ()


# html_to_text --------------------------------------------------------------------------------


def test_html_to_text_paragraphs_are_separated_by_a_blank_line() -> None:
    fragment = (
        "<p>The ferry runs <b>twelve</b> times a day.</p>"
        "<p>Tickets cost 500&nbsp;francs &amp; up.</p>"
    )

    assert (
        html_to_text(fragment)
        == "The ferry runs twelve times a day.\n\nTickets cost 500 francs & up."
    )


def test_html_to_text_drops_scripts_and_styles() -> None:
    fragment = (
        "<style>.x{color:red}</style><p>Growers met in Kandy.</p>"
        "<script>track('view')</script><noscript>Enable JavaScript</noscript>"
    )

    assert html_to_text(fragment) == "Growers met in Kandy."


def test_html_to_text_nested_blocks_are_not_repeated() -> None:
    fragment = (
        "<blockquote><p>We will keep the boats running.</p></blockquote>"
        "<ul><li>Twelve crossings a day.</li><li>An evening run.</li></ul>"
    )

    text = html_to_text(fragment)

    assert text == "We will keep the boats running.\n\nTwelve crossings a day.\n\nAn evening run."


def test_html_to_text_without_blocks_keeps_the_text() -> None:
    assert html_to_text("Just a teaser, with <em>emphasis</em>.") == "Just a teaser, with emphasis."


def test_html_to_text_keeps_bare_text_beside_the_paragraphs() -> None:
    fragment = (
        "Ferries are back.<p>Twelve crossings a day, from Monday.</p>"
        "The <em>evening</em> run stays.<ul><li>Fares unchanged.</li></ul>"
        '<a href="https://lagoon.example.net/more">Continue reading</a>'
    )

    text = html_to_text(fragment)

    assert text == (
        "Ferries are back.\n\nTwelve crossings a day, from Monday.\n\n"
        "The evening run stays.\n\nFares unchanged."
    )


def test_a_selected_article_keeps_bare_text_beside_its_paragraphs() -> None:
    page = (
        b'<html><body><div class="post">Ferries are back.<p>Twelve crossings a day.</p>'
        b"The evening run stays.</div><p>Footer.</p></body></html>"
    )

    article = extract_article(page, "https://news.example.org/a", selector="div.post")

    assert article.text == (
        "Ferries are back.\n\nTwelve crossings a day.\n\nThe evening run stays."
    )


@pytest.mark.parametrize("fragment", ["", "   ", "\n\t"])
def test_html_to_text_of_nothing_is_empty(fragment: str) -> None:
    assert html_to_text(fragment) == ""


def test_html_to_text_cleans_a_read_also_list_from_feed_content() -> None:
    fragment = (
        "<p>The lagoon ferry now crosses twelve times a day, its owner said on Monday.</p>"
        "<p><strong>Read Also:</strong></p>"
        '<p><a href="https://lagoon.example.net/a/">https://lagoon.example.net/a/</a></p>'
        '<p><a href="https://lagoon.example.net/b/">https://lagoon.example.net/b/</a></p>'
        "<p>Fares will stay at 500 francs until the end of the year, the company said.</p>"
    )

    assert html_to_text(fragment) == (
        "The lagoon ferry now crosses twelve times a day, its owner said on Monday.\n\n"
        "Fares will stay at 500 francs until the end of the year, the company said."
    )


# clean_text on the shape of a scraped article page -----------------------------------------

LEAD_FIRST = (
    "Ghana and Togo have agreed to open a joint customs post at Aflao, where traders "
    "now wait up to two days to cross the   border with their goods. The deal was "
    "announced by the trade ministers of both countries after a meeting in Lomé"
)
LEAD_SECOND = (
    "Ghana and Togo have agreed to open a joint customs post at Aflao, where traders "
    "now wait up to two days to cross the border with their goods. The deal was "
    "announced by the trade ministers of both countries after a meeting in Lomé."
)
BODY_ONE = (
    "The post will be staffed by officers from both revenue authorities and will check "
    "lorries once, on the Togolese side, instead of twice. Officials said the change "
    "could cut waiting times to a few hours."
)
AFTER_LINKS = (
    "Truck drivers' unions welcomed the plan but said bribes at informal checkpoints on "
    "the coastal highway remained the main cause of delays. The post is due to open in "
    "September, after a trial with perishable goods."
)
SCRAPED = f"""Home Western Africa Ghana and Togo agree joint customs post

 (4 minutes read) (Trade)

317

{LEAD_FIRST}

{LEAD_SECOND}

{BODY_ONE}

Read Also:

https://coastal-courier.example.net/lome-port-extends-opening-hours/

https://coastal-courier.example.net/aflao-market-reopens-after-fire/

{AFTER_LINKS}

0 0 votes
Article Rating
Subscribe
Notify of
guest
0 Comments
Oldest
Newest Most Voted
Inline Feedbacks
View all comments
"""


def test_clean_text_keeps_the_lead_once_in_its_fuller_form() -> None:
    text = clean_text(SCRAPED)

    assert text.count("Ghana and Togo have agreed to open a joint customs post") == 1
    assert LEAD_SECOND in text.split("\n\n")


def test_clean_text_drops_the_read_also_heading_and_its_links() -> None:
    text = clean_text(SCRAPED)

    assert "Read Also" not in text
    assert "coastal-courier.example.net" not in text


def test_clean_text_keeps_the_paragraph_after_the_links() -> None:
    paragraphs = clean_text(SCRAPED).split("\n\n")

    assert AFTER_LINKS in paragraphs
    assert paragraphs.index(AFTER_LINKS) == paragraphs.index(BODY_ONE) + 1


def test_clean_text_drops_the_comment_widget_and_counters() -> None:
    text = clean_text(SCRAPED)

    for words in (
        "votes",
        "Article Rating",
        "Subscribe",
        "Notify of",
        "guest",
        "Comments",
        "Oldest",
        "Most Voted",
        "Inline Feedbacks",
        "View all comments",
        "317",
    ):
        assert words not in text
    assert text.endswith(AFTER_LINKS)


def test_clean_text_drops_the_reading_time_and_label_badges() -> None:
    text = clean_text(SCRAPED)

    assert "minutes read" not in text
    assert "(Trade)" not in text


def test_clean_text_drops_each_badge_on_its_own_line() -> None:
    text = clean_text(f"(4 minutes read)\n(Trade)\n\n{BODY_ONE}")

    assert text == BODY_ONE


def test_clean_text_keeps_a_short_quoted_paragraph_after_the_links() -> None:
    quote = "“We are ready to open on the first day,” she said."
    closing = "“The lorries will not wait any more.”"
    text = clean_text(
        f"{BODY_ONE}\n\nRead Also:\n\nhttps://coastal-courier.example.net/x/\n\n{closing}\n\n{quote}"
    )

    assert text.split("\n\n") == [BODY_ONE, closing, quote]


def test_clean_text_drops_related_titles_without_urls() -> None:
    text = clean_text(
        f"{BODY_ONE}\n\nRelated posts\n\nLomé port extends its opening hours\n"
        f"Aflao market reopens after fire\n\n{AFTER_LINKS}"
    )

    assert text.split("\n\n") == [BODY_ONE, AFTER_LINKS]


def test_clean_text_normalises_spaces_and_drops_exact_repeats() -> None:
    text = clean_text(f"  {BODY_ONE}  \n\n\n{BODY_ONE}\n\t{AFTER_LINKS}")

    assert text == f"{BODY_ONE}\n\n{AFTER_LINKS}"


def test_clean_text_keeps_a_repeat_that_is_not_the_lead_printed_twice() -> None:
    # Removing every repeat cut real text: interview questions, recipe lines, links.
    text = clean_text("It rained.\n\nIt rained again.\n\nIt rained.")

    assert text == "It rained.\n\nIt rained again.\n\nIt rained."


def test_clean_text_keeps_the_lead_repeated_further_down() -> None:
    body = [AFTER_LINKS, "It rained.", "The council met on Monday.", "Lorries queued at dawn."]
    text = clean_text("\n\n".join([BODY_ONE, *body, BODY_ONE]))

    assert text.split("\n\n") == [BODY_ONE, *body, BODY_ONE]


def _wrapped_page(wrapper_class: str) -> str:
    paragraphs = (
        "Paragraph 1 of the harbour report: the ferry crossing resumed at dawn on Monday.",
        "Fishermen at the quay sold their catch before the market hall had even opened.",
        "The new crane, bought with a regional grant, lifted its first container at noon.",
        "Dock workers asked the council for a shelter against the afternoon heat.",
        "At the customs office, a queue of lorries reached back to the roundabout.",
        "A cargo of maize from the south was unloaded in under six hours, a record.",
        "The pilot boats were repainted in the colours of the old harbour company.",
        "Paragraph 8 of the harbour report: night shifts will start again in March.",
    )
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        "<html><head><title>Harbour report</title></head><body><h1>Harbour report</h1>"
        f'<div class="{wrapper_class}">{body}<div class="share-buttons"><p>Share on'
        " Facebook</p></div></div><footer><p>All rights reserved.</p></footer></body></html>"
    )


def test_a_share_named_wrapper_of_the_whole_article_is_not_furniture() -> None:
    # A real site wraps the article and its share buttons in a "share-zone": dropping it as a
    # share bar lost the whole text.
    text = extract_article(_wrapped_page("share-zone"), "https://news.example.org/a/").text
    assert "Paragraph 1 of the harbour report" in text
    assert "Paragraph 8 of the harbour report" in text
    assert "Share on Facebook" not in text


def test_a_comment_thread_goes_even_when_it_outgrows_the_article() -> None:
    page = _wrapped_page("comments-area").replace("of the harbour report", "a reader writes")
    page = page.replace(
        "<h1>Harbour report</h1>",
        "<h1>Harbour report</h1><article><p>The ferry crossing resumed on Monday after the"
        " storm, the port authority said, with the first boat leaving at six.</p></article>",
    )
    text = extract_article(page, "https://news.example.org/a/").text
    assert "The ferry crossing resumed on Monday" in text
    assert "a reader writes" not in text


@pytest.mark.parametrize(
    ("attributes", "furniture"),
    [
        ('class="Social-Links"', True),  # any case
        ('class="box" id="newsletter_signup"', True),  # the id alone
        ('id="comments" class="box"', True),  # the id first
        ('class="post\tSHARE\n"', True),  # any whitespace
        ('class="shareholder-news"', False),  # a word inside a word
        ('class="post-rating2"', False),
        ('class="related-"', True),
        ('class=""', False),
    ],
)
def test_furniture_is_named_by_a_word_of_the_class_or_id(attributes: str, furniture: bool) -> None:
    tree = lxml.html.document_fromstring(
        f'<html><body><div class="x"><p>T</p></div><div {attributes}><p>A</p></div></body></html>'
    )
    assert [el.text_content() for el in _furniture(tree)] == (["A"] if furniture else [])


def test_furniture_words_of_neighbouring_values_are_each_found() -> None:
    # A value ending in a furniture word right before one starting with another: every
    # element is found, once, in page order; the page's own elements never are.
    tree = lxml.html.document_fromstring(
        '<html class="share"><body class="comments"><main class="related">'
        '<div class="box related"><p>A</p></div>'
        '<div class="comments"><p>B</p></div><div id="x-rating" class="share"><p>C</p></div>'
        '<article class="social"><p>D</p></article></main></body></html>'
    )
    assert [el.text_content() for el in _furniture(tree)] == ["A", "B", "C"]


def test_clean_text_drops_an_editors_recommendations_list() -> None:
    text = clean_text(
        "The festival closes on Sunday with a concert on the beach.\n"
        "Editors’ Recommendations:\n"
        "- Ten concerts to see on the coast this summer\n"
        "- The beach bar that became a music venue"
    )
    assert text == "The festival closes on Sunday with a concert on the beach."


def test_clean_text_drops_the_standfirst_repeat_once_only() -> None:
    text = clean_text(f"{BODY_ONE}\n\n{BODY_ONE}\n\n{BODY_ONE}")

    assert text.split("\n\n") == [BODY_ONE, BODY_ONE]


@pytest.mark.parametrize("selector", [None, "article"], ids=["trafilatura", "selector"])
def test_template_content_no_reader_sees_stays_out(selector: str | None) -> None:
    # <template> is never rendered; trafilatura read it as the article's text.
    body = "".join(
        f"<p>The harbour of the old town reopened on Monday after a winter of repairs, "
        f"and paragraph {i} says more about the boats.</p>"
        for i in range(8)
    )
    page = (
        "<html><head><title>Harbour reopens</title></head><body><article><h1>Harbour reopens"
        f"</h1>{body}<template><p>Template raffle copy for the share dialog, never shown to "
        "anyone who reads the page.</p></template> After the template.</article></body></html>"
    )
    text = extract_article(page.encode(), "https://example.org/harbour", selector).text
    assert "paragraph 7 says more" in text and "After the template." in text
    assert "raffle" not in text
