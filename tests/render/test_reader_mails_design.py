"""The confirmation and welcome mails in the digest's front-page design (issue 16): the
newsletter's name as the one h1, the list's lang and dir, a preheader that stops before the
masthead and is hidden by display alone, the digest's own styles (dark mode with them), and
no point from SpamAssassin's offline rules."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import lxml.html
import pytest

from digest.render.email import EmailRenderer
from tests.render.big_issue import big_issue, spam_status
from tests.render.reader_mails import LISTS, NEWSLETTER, html_of, message_of

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
MAIL_NAMES = ("confirm", "welcome")
PREVIEWS = {
    ("confirm", "en"): "One click to start receiving The Weekly",
    ("welcome", "en"): "You are subscribed to The Weekly",
    ("confirm", "fr"): "Un clic pour commencer à recevoir L’Hebdo du Sahel",
    ("welcome", "ar"): "أنت مشترك في النشرة الأسبوعية",
}


@pytest.fixture(scope="module")
def renderer() -> EmailRenderer:
    return EmailRenderer(TEMPLATES)


def styles(html: str) -> set[str]:
    """The CSS rules of a page's style elements, one rule a string."""
    page = lxml.html.document_fromstring(html)
    css = " ".join(style.text_content() for style in page.xpath("//style"))
    return {" ".join(rule.split()) for rule in re.findall(r"[^{}]+\{[^{}]*\}", css)}


@pytest.mark.parametrize("tag", ["en", "fr", "ar"])
@pytest.mark.parametrize("name", MAIL_NAMES)
def test_masthead_h1_and_the_lists_language(renderer: EmailRenderer, name: str, tag: str) -> None:
    page = lxml.html.document_fromstring(html_of(renderer, name, tag))

    assert [" ".join(h.text_content().split()) for h in page.xpath("//h1")] == [NEWSLETTER]
    assert (page.get("lang"), page.get("dir")) == (tag, "rtl" if tag == "ar" else "ltr")
    assert LISTS[tag] in page.text_content()


@pytest.mark.parametrize(("name", "tag"), list(PREVIEWS))
def test_preheader_says_its_line_then_spacers_hidden_by_display_alone(
    renderer: EmailRenderer, name: str, tag: str
) -> None:
    html = html_of(renderer, name, tag)
    page = lxml.html.document_fromstring(html)

    hidden = page.xpath("//body//div[contains(@style, 'display:none')]")
    assert len(hidden) == 1
    line = hidden[0].text_content()
    assert line.startswith(PREVIEWS[name, tag])
    assert line[len(PREVIEWS[name, tag]) :].count("\u200c") >= 40  # spacers after it
    assert hidden[0].xpath("count(preceding::*[ancestor::body][normalize-space()])") == 0
    style = hidden[0].get("style")
    assert "color" not in style and "opacity" not in style and "font-size" not in style


@pytest.mark.parametrize("name", MAIL_NAMES)
def test_the_mails_wear_the_digests_styles_dark_mode_included(
    renderer: EmailRenderer, name: str
) -> None:
    digest = styles(renderer.render(big_issue(3, "en")).html)
    mail = styles(html_of(renderer, name, "en"))

    dark = {rule for rule in digest if "!important" in rule}
    assert dark and dark <= mail
    assert {rule for rule in digest if rule.startswith(("h1", "a.bt", ".ms"))} <= mail


@pytest.mark.skipif(shutil.which("spamassassin") is None, reason="spamassassin is not installed")
@pytest.mark.parametrize("tag", ["en", "ar"])
@pytest.mark.parametrize("name", MAIL_NAMES)
def test_the_mails_score_nothing_with_spamassassins_offline_rules(
    renderer: EmailRenderer, name: str, tag: str
) -> None:
    status = spam_status(message_of(renderer, name, tag))

    score = re.search(r"score=(-?[\d.]+)", status)
    assert score is not None, status
    assert float(score.group(1)) <= 0, status
    assert "HTML_FONT_LOW_CONTRAST" not in status, status
