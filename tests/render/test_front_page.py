"""The digest laid out like a front page (issue 16): a lead story, real headings, one link per
story with a read link that names its story, images that hold their place and never repeat the
title, a preheader that stops before the masthead, and an issue of 40 stories under Gmail's clip.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import lxml.html
import pytest

from digest.editorial.curate import Section
from digest.render.checks import GMAIL_CLIP_BYTES, run_checks
from digest.render.email import EmailRenderer, IssueView, personalise
from tests.render.big_issue import big_issue
from tests.render.big_issue import story as numbered_story
from tests.render.test_golden import ISSUE, READER

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
LANGUAGES = ("en", "fr", "ar")


@pytest.fixture(scope="module")
def renderer() -> EmailRenderer:
    return EmailRenderer(TEMPLATES)


def page_of(renderer: EmailRenderer, issue: IssueView) -> lxml.html.HtmlElement:
    html, _ = personalise(renderer.render(issue), READER)
    return lxml.html.document_fromstring(html)


def text(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def stories_of(issue: IssueView) -> list:  # type: ignore[type-arg]
    return [story for section in issue.sections for story in section.stories]


# Headings -----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_masthead_h1_sections_h2_story_titles_h3(renderer: EmailRenderer, language: str) -> None:
    issue = big_issue(12, language)
    page = page_of(renderer, issue)

    assert [text(h) for h in page.xpath("//h1")] == [issue.newsletter_name]
    # "Top story" (the lead) and then each section, in order.
    regions = [section.region.upper() for section in issue.sections]
    assert [text(h) for h in page.xpath("//h2")][1:] == regions
    titles = [text(h) for h in page.xpath("//h3")]
    assert sorted(titles) == sorted(story.title for story in stories_of(issue))


def test_lead_is_the_first_story_under_its_own_heading(renderer: EmailRenderer) -> None:
    issue = big_issue(12)
    page = page_of(renderer, issue)
    first = stories_of(issue)[0]

    assert text(page.xpath("//h3")[0]) == first.title
    assert text(page.xpath("//h2")[0]) == "TOP STORY"
    # It is told once: not again in its section.
    assert [text(h) for h in page.xpath("//h3")].count(first.title) == 1


def test_the_editors_lead_opens_the_issue(renderer: EmailRenderer) -> None:
    issue = big_issue(12)
    chosen = stories_of(issue)[7]
    page = page_of(renderer, replace(issue, lead_article_id=chosen.id))

    assert text(page.xpath("//h3")[0]) == chosen.title
    assert [text(h) for h in page.xpath("//h3")].count(chosen.title) == 1


def test_a_chosen_lead_not_in_this_rendering_gives_way_to_the_first(
    renderer: EmailRenderer,
) -> None:
    # A reader's topics may leave the editor's lead out of their copy: the first story leads.
    issue = replace(big_issue(12), lead_article_id=999)
    page = page_of(renderer, issue)

    assert text(page.xpath("//h3")[0]) == stories_of(issue)[0].title


def test_a_section_whose_only_story_leads_is_not_shown_empty(renderer: EmailRenderer) -> None:
    page = page_of(renderer, ISSUE)  # Northern Africa holds only the lead

    assert [text(h) for h in page.xpath("//h2")] == ["TOP STORY", "WEST AFRICA"]


def test_lead_has_the_wide_image_and_the_others_small_ones(renderer: EmailRenderer) -> None:
    issue = big_issue(12)
    page = page_of(renderer, replace(issue, lead_article_id=2))  # story 2 has an image
    images = page.xpath("//img")

    assert int(images[0].get("width")) >= 500
    assert all(int(img.get("width")) <= 150 for img in images[1:])
    assert len(images) == sum(1 for s in stories_of(issue) if s.image_url)


# Links --------------------------------------------------------------------------------------


def accessible_name(link: lxml.html.HtmlElement) -> str:
    return link.get("aria-label") or text(link)


@pytest.mark.parametrize("language", LANGUAGES)
def test_one_title_link_per_story_and_one_read_link_naming_its_story(
    renderer: EmailRenderer, language: str
) -> None:
    issue = big_issue(12, language)
    page = page_of(renderer, issue)
    links = page.xpath("//a[@href]")

    for story in stories_of(issue):
        to_story = [a for a in links if a.get("href") == story.url]
        titled = [a for a in to_story if a.getparent().tag == "h3"]
        assert len(titled) == 1 and text(titled[0]) == story.title
        others = [a for a in to_story if a not in titled]
        assert len(others) <= 1, f"{len(to_story)} links to {story.url}"
        for link in others:
            assert story.title in accessible_name(link)
    names = [accessible_name(a) for a in links]
    repeated = {name for name in names if names.count(name) > 1}
    assert not repeated, f"links with the same name: {repeated}"


def test_no_image_is_a_link(renderer: EmailRenderer) -> None:
    page = page_of(renderer, big_issue(12))

    assert page.xpath("//a//img") == []


# Images -------------------------------------------------------------------------------------


def test_every_image_reserves_its_width_and_height(renderer: EmailRenderer) -> None:
    page = page_of(renderer, big_issue(12))
    images = page.xpath("//img")

    assert images
    for img in images:
        assert int(img.get("width")) > 0 and int(img.get("height")) > 0, img.get("src")


def test_alt_text_never_repeats_the_title(renderer: EmailRenderer) -> None:
    described = replace(numbered_story(2), image_alt="Cranes over the quay at dusk")
    # A feed often gives the title again as the image's caption: that is no description.
    captioned = replace(numbered_story(4), image_alt=numbered_story(4).title.upper() + " ")
    untold = replace(numbered_story(1), image_url="https://cdn.example.org/a.jpg", image_alt=None)
    issue = replace(ISSUE, sections=(Section("Coast", (untold, described, captioned)),))
    page = page_of(renderer, issue)

    alts = {img.get("src"): img.get("alt") for img in page.xpath("//img")}
    assert alts == {
        untold.image_url: "",
        described.image_url: "Cranes over the quay at dusk",
        captioned.image_url: "",
    }


def test_checks_accept_an_empty_alt_and_refuse_a_missing_one() -> None:
    def images_check(html: str) -> bool:
        checks = run_checks(
            html=html, text="", subject="s", sections=(), unsubscribe_url="https://x.example/u"
        )
        return next(c for c in checks if c.name == "images").ok

    assert images_check('<html><body><img src="https://x.example/a.jpg" alt=""></body></html>')
    assert not images_check('<html><body><img src="https://x.example/a.jpg"></body></html>')


# Preheader ----------------------------------------------------------------------------------


def test_preheader_comes_first_then_spacers_and_is_hidden_without_colour(
    renderer: EmailRenderer,
) -> None:
    html = renderer.render(ISSUE).html
    body = html[html.index("<body") :]
    first = lxml.html.document_fromstring(html).xpath("//body/div/*[1]")[0]

    assert text(first).startswith("Two agreements and one harvest this week.")
    assert "&#847;&zwnj;&nbsp;" * 20 in body[: body.index("<h1")]
    style = first.get("style").replace(" ", "")
    assert "display:none" in style
    # A colour like the background's trips SpamAssassin's HTML_FONT_LOW_CONTRAST.
    assert "color" not in style and "font-size" not in style


# Size ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_forty_stories_half_with_images_stay_under_gmails_clip(
    renderer: EmailRenderer, language: str
) -> None:
    issue = big_issue(40, language)
    html, text_part = personalise(renderer.render(issue), READER)

    size = len(html.encode("utf-8"))
    assert size < GMAIL_CLIP_BYTES, f"{size / 1024:.1f} KB"
    checks = run_checks(
        html=html,
        text=text_part,
        subject=issue.subject,
        sections=issue.sections,
        unsubscribe_url=READER.unsubscribe_url,
    )
    assert [c.detail for c in checks if c.blocking and not c.ok] == []


# Text part ----------------------------------------------------------------------------------


def test_text_part_has_the_lead_first_and_one_link_per_story(renderer: EmailRenderer) -> None:
    issue = big_issue(12)
    chosen = stories_of(issue)[5]
    out = renderer.render(replace(issue, lead_article_id=chosen.id))
    flat = " ".join(out.text.split())

    assert flat.index("== TOP STORY ==") < flat.index(chosen.title) < flat.index("== WEST AFRICA")
    for story in stories_of(issue):
        assert out.text.count(story.url) == 1, story.url
    # The masthead is a heading too.
    assert out.text.splitlines()[:2] == [issue.newsletter_name, "=" * len(issue.newsletter_name)]
