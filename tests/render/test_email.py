"""EmailRenderer and personalise: an issue rendered once from the shipped templates."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from digest.editorial.curate import Section, Story
from digest.errors import RenderError
from digest.render.email import (
    EmailRenderer,
    IssueView,
    Recipient,
    RenderedIssue,
    personalise,
)

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

LONG_SUMMARY = (
    "After fourteen months of dredging, the free-zone port can now receive ships carrying up to "
    "9,000 containers, though traders say inland transport and currency rules still hold trade "
    "back, and economists expect the effect on prices in the capital to take at least a year."
)


def make_story(
    id: int,
    title: str,
    url: str,
    region: str,
    tags: tuple[str, ...],
    minutes: int,
    summary: str = "A short summary of the story.",
) -> Story:
    return Story(
        id=id,
        title=title,
        url=url,
        region=region,
        tags=tags,
        reading_minutes=minutes,
        summary=summary,
        published_at=datetime(2026, 11, 17 + id % 5, 9, 0, tzinfo=UTC),
    )


STORIES_NORTH = (
    make_story(
        1,
        "Misrata port reopens its deep-water container terminal",
        "https://maghreb.example.org/2026/11/20/misrata-terminal/",
        "Northern Africa",
        ("Economy",),
        4,
        LONG_SUMMARY,
    ),
    make_story(
        2,
        "Tunisia’s olive oil exports climb as buyers return",
        "https://maghreb.example.org/2026/11/18/olive-oil/",
        "Northern Africa",
        ("Agriculture", "Economy"),
        3,
    ),
)
STORIES_WEST = (
    make_story(
        3,
        "Rice farmers near Ségou swap diesel for solar pumps",
        "https://sahel.example.org/2026/11/22/segou-solar/",
        "West Africa",
        ("Agriculture", "Energy"),
        2,
    ),
    make_story(
        4,
        "Cocoa boards agree a joint pricing calendar",
        "https://sahel.example.org/2026/11/16/cocoa-calendar/",
        "West Africa",
        (),
        7,
    ),
)


def make_issue(sections: tuple[Section, ...] | None = None, **changes: object) -> IssueView:
    values: dict[str, object] = {
        "newsletter_name": "Continent Weekly",
        "list_name": "The Weekly",
        "number": 12,
        "period_start": date(2026, 11, 16),
        "period_end": date(2026, 11, 22),
        "subject": "Continent Weekly #12: ports, olives and solar pumps",
        "sections": sections
        if sections is not None
        else (Section("Northern Africa", STORIES_NORTH), Section("West Africa", STORIES_WEST)),
        "postal_address": "Continent Weekly, 12 Avenue Léopold Sédar Senghor, Dakar, Senegal",
        "base_url": "https://news.example.org",
        "archive_url": "https://news.example.org/archive/weekly/12",
    }
    values.update(changes)
    return IssueView(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def renderer() -> EmailRenderer:
    return EmailRenderer(TEMPLATES)


@pytest.fixture(scope="module")
def rendered(renderer: EmailRenderer) -> RenderedIssue:
    return renderer.render(make_issue())


ALL_STORIES = STORIES_NORTH + STORIES_WEST


# HTML part -----------------------------------------------------------------------------------


def test_render_returns_the_subject_and_a_complete_html_document(rendered: RenderedIssue) -> None:
    assert rendered.subject == "Continent Weekly #12: ports, olives and solar pumps"
    assert rendered.html.lstrip().lower().startswith("<!doctype html")
    assert rendered.html.rstrip().endswith("</html>")
    assert "<mj-" not in rendered.html  # MJML compiled away


@pytest.mark.parametrize("story", ALL_STORIES, ids=lambda s: str(s.id))
def test_html_contains_every_title_link_and_reading_time(
    rendered: RenderedIssue, story: Story
) -> None:
    assert html.escape(story.title, quote=False) in rendered.html
    assert f'href="{story.url}"' in rendered.html
    assert f"{story.reading_minutes} min read" in rendered.html
    assert html.escape(story.summary, quote=False) in rendered.html


def test_html_has_both_sections_in_order(rendered: RenderedIssue) -> None:
    north = rendered.html.index("NORTHERN AFRICA")
    west = rendered.html.index("WEST AFRICA")

    # (the preheader at the top repeats the first title: look after the section heading)
    assert north < rendered.html.index(STORIES_NORTH[1].title, north) < west
    assert west < rendered.html.index(STORIES_WEST[0].title, west)
    assert rendered.html.find(STORIES_WEST[0].title, north, west) == -1


def test_html_shows_tags_after_reading_time(rendered: RenderedIssue) -> None:
    assert "3 min read · Agriculture · Economy · Northern Africa" in rendered.html


def test_html_and_text_carry_the_issue_header(rendered: RenderedIssue) -> None:
    for part in (rendered.html, rendered.text):
        assert "Continent Weekly" in part
        assert "Issue 12" in part
        # CLDR's English interval, the month said once: "November 16 – 22, 2026".
        assert "November 16\u2009–\u200922, 2026" in part


# Autoescape ----------------------------------------------------------------------------------

HOSTILE_TITLE = 'Fish & Chips <script>alert("x")</script> in Tunis'
HOSTILE_URL = "https://maghreb.example.org/search?q=fish&lang=en"


@pytest.fixture(scope="module")
def hostile(renderer: EmailRenderer) -> RenderedIssue:
    story = make_story(
        9,
        HOSTILE_TITLE,
        HOSTILE_URL,
        "Northern Africa",
        ("Food & Drink",),
        1,
        summary="Cheaper <b>oil</b> & flour.",
    )
    return renderer.render(make_issue(sections=(Section("Northern Africa", (story,)),)))


def test_html_escapes_markup_and_ampersands(hostile: RenderedIssue) -> None:
    assert "<script>" not in hostile.html
    assert "Fish &amp; Chips &lt;script&gt;" in hostile.html
    assert "Fish & Chips" not in hostile.html
    assert "<b>oil</b>" not in hostile.html
    assert "Food &amp; Drink" in hostile.html
    assert 'href="https://maghreb.example.org/search?q=fish&amp;lang=en"' in hostile.html


def test_text_shows_titles_as_written(hostile: RenderedIssue) -> None:
    assert HOSTILE_TITLE in hostile.text
    assert "Cheaper <b>oil</b> & flour." in hostile.text
    assert "Food & Drink" in hostile.text
    assert HOSTILE_URL in hostile.text
    assert "&amp;" not in hostile.text
    assert "&lt;" not in hostile.text


# Text part -----------------------------------------------------------------------------------


@pytest.mark.parametrize("story", ALL_STORIES, ids=lambda s: str(s.id))
def test_text_contains_every_title_link_and_reading_time(
    rendered: RenderedIssue, story: Story
) -> None:
    flat = " ".join(rendered.text.split())

    assert story.title in flat
    assert story.url in rendered.text
    assert f"{story.reading_minutes} min read" in rendered.text
    assert " ".join(story.summary.split()) in flat


def test_text_sections_are_in_order(rendered: RenderedIssue) -> None:
    assert rendered.text.index("NORTHERN AFRICA") < rendered.text.index("WEST AFRICA")


def _long_lines(text: str) -> list[str]:
    return [
        line
        for line in text.splitlines()
        if len(line) > 78 and not re.fullmatch(r"\s*https?://\S+\s*", line)
    ]


def test_text_wraps_long_titles_and_summaries(renderer: EmailRenderer) -> None:
    story = make_story(
        5,
        "A very long headline about the ferry, the lagoon, the fishing co-operative and the new "
        "cold store that opened in Grand-Bassam on Monday",
        "https://n.example.org/5",
        "West Africa",
        ("Transport",),
        3,
        LONG_SUMMARY * 2,
    )
    rendered = renderer.render(make_issue(sections=(Section("West Africa", (story,)),)))
    _, text = personalise(
        rendered,
        Recipient(
            "reader@example.org", "https://n.example.org/u/x", "https://news.example.org/p/x"
        ),
    )

    assert _long_lines(text) == []


def test_text_lines_fit_78_columns_with_real_world_urls(renderer: EmailRenderer) -> None:
    # URLs of news sites and unsubscribe links are often longer than a line: they may stand
    # alone on a line of their own, but no line of prose may run past 78 columns.
    story = make_story(
        6,
        "Escorted convoys resume on the Gao–Ansongo road",
        "https://sahelcoast.example.org/2026/11/18/gao-ansongo-convoys-resume-after-five-months/",
        "West Africa",
        ("Security",),
        4,
    )
    rendered = renderer.render(
        make_issue(sections=(Section("West Africa", (story,)),), list_name="Sahel & Coast Weekly")
    )
    recipient = Recipient(
        "aminata.sarr-diop@ministere-energie.example.sn",
        "https://news.sahelcoast.example.org/subscriptions/unsubscribe/"
        "Wzk4NzY1LDEyXQ.Zq7yJm3x9Y0vR-kL2pQaT8sUeW4hB6nD1cF5gI3oK",
        "https://news.example.org/p/x",
    )
    _, text = personalise(rendered, recipient)

    assert _long_lines(text) == []
    assert any(line.strip() == recipient.unsubscribe_url for line in text.splitlines())
    assert any(line.strip() == story.url for line in text.splitlines())


# Personalisation -----------------------------------------------------------------------------


def test_rendered_issue_holds_markers_not_recipients(rendered: RenderedIssue) -> None:
    assert rendered.markers is not None
    for part in (rendered.html, rendered.text):
        assert rendered.markers.unsubscribe_url in part
        assert rendered.markers.recipient_email in part


def test_each_rendering_draws_its_own_markers(renderer: EmailRenderer) -> None:
    """A fixed marker could be written into content; one drawn per rendering cannot."""
    first, second = renderer.render(make_issue()), renderer.render(make_issue())
    assert first.markers is not None and second.markers is not None
    assert set(first.markers.all()).isdisjoint(second.markers.all())
    assert len(set(first.markers.all())) == 4


def test_personalise_replaces_every_marker_in_both_parts(rendered: RenderedIssue) -> None:
    recipient = Recipient(
        "fatou@example.org",
        "https://news.example.org/u/AbC123?list=weekly&v=2",
        "https://news.example.org/p/x",
    )

    html_out, text = personalise(rendered, recipient)

    assert "%%DIGEST_" not in html_out
    assert "%%DIGEST_" not in text
    assert 'href="https://news.example.org/u/AbC123?list=weekly&amp;v=2"' in html_out
    assert "fatou@example.org" in html_out
    assert "https://news.example.org/u/AbC123?list=weekly&v=2" in text
    assert "fatou@example.org" in text


def test_personalise_escapes_recipient_values_in_html_only(rendered: RenderedIssue) -> None:
    recipient = Recipient(
        'o\'brien+"news"@example.org',
        "https://news.example.org/u/x?a=1&b=<2>",
        "https://news.example.org/p/x",
    )

    html_out, text = personalise(rendered, recipient)

    assert "&lt;2&gt;" in html_out
    assert "<2>" not in html_out
    assert 'o\'brien+"news"@example.org' in text
    assert "https://news.example.org/u/x?a=1&b=<2>" in text


def test_personalise_gives_each_recipient_their_own_links(rendered: RenderedIssue) -> None:
    first = personalise(
        rendered,
        Recipient(
            "a@example.org", "https://news.example.org/u/AAA", "https://news.example.org/p/x"
        ),
    )
    second = personalise(
        rendered,
        Recipient(
            "b@example.org", "https://news.example.org/u/BBB", "https://news.example.org/p/x"
        ),
    )

    assert "/u/AAA" in first[0] and "/u/AAA" in first[1]
    assert "/u/BBB" not in first[0] and "/u/BBB" not in first[1]
    assert "/u/BBB" in second[0] and "/u/BBB" in second[1]
    assert "b@example.org" not in first[0] + first[1]


def test_personalise_leaves_the_rendered_issue_unchanged(rendered: RenderedIssue) -> None:
    before = (rendered.html, rendered.text)

    personalise(
        rendered,
        Recipient(
            "a@example.org", "https://news.example.org/u/AAA", "https://news.example.org/p/x"
        ),
    )

    assert (rendered.html, rendered.text) == before


# Errors --------------------------------------------------------------------------------------


def test_missing_template_folder_raises_render_error(tmp_path: Path) -> None:
    with pytest.raises(RenderError) as caught:
        EmailRenderer(tmp_path / "no-such-folder")

    assert "no-such-folder" in str(caught.value)
    assert caught.value.hint


def test_template_folder_without_email_raises_render_error(tmp_path: Path) -> None:
    (tmp_path / "web").mkdir()

    with pytest.raises(RenderError):
        EmailRenderer(tmp_path)


def test_broken_template_raises_render_error(tmp_path: Path) -> None:
    email_dir = tmp_path / "email"
    email_dir.mkdir()
    (email_dir / "digest.mjml.j2").write_text(
        "<mjml><mj-body>{{ issue.no_such_field }}</mj-body></mjml>"
    )
    (email_dir / "digest.txt.j2").write_text("{{ issue.subject }}\n")

    with pytest.raises(RenderError):
        EmailRenderer(tmp_path).render(make_issue())
