"""The digest email as a reader sees it: the bundled samples collected and previewed the way
`digest preview` does, then opened in headless Chromium at a phone's and a desktop's width.

These checks are the specification for templates/email/: if one fails, fix the template."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select

from digest import pipeline
from digest.models import Article
from tests.browser import BrowserThread, open_page, save_screenshot

if TYPE_CHECKING:  # the browser fixture skips (or fails under CI) without Playwright
    from playwright.sync_api import Browser

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # a Monday morning after the samples' week
PHONE = 375
DESKTOP = 600
MIN_FONT_PX = 14

WIDTHS_JS = """() => ({
    inner: window.innerWidth,
    document: document.documentElement.scrollWidth,
    body: document.body.scrollWidth,
})"""

# Every visible text node's parent element (one with a non-zero box) and its computed size.
TEXT_SIZES_JS = """() => {
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const found = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node.textContent.replace(/\\s+/g, " ").trim();
        const element = node.parentElement;
        if (!text || !element) continue;
        const box = element.getBoundingClientRect();
        const style = getComputedStyle(element);
        if (box.width === 0 || box.height === 0 || style.visibility !== "visible") continue;
        found.push({tag: element.tagName.toLowerCase(), text, size: parseFloat(style.fontSize)});
    }
    return found;
}"""


@dataclass
class Email:
    path: Path
    titles: list[str]

    @property
    def url(self) -> str:
        return self.path.resolve().as_uri()


@pytest.fixture
def email(write_config, sample_sources: list[dict[str, str]]) -> Email:
    """The previewed HTML of this week's issue from the two sample feeds, and its titles."""
    settings = write_config({"sources": sample_sources})
    with pipeline.runtime(settings, NOW) as rt:
        collected = pipeline.collect(rt, NOW)
        assert not collected.failed, collected.failed
        preview = pipeline.preview(rt, "weekly", NOW)
        with rt.sessions() as session:
            titles = list(session.scalars(select(Article.title)))
    assert preview is not None, "the samples make an issue"
    assert len(titles) == preview.issue.article_count == 12
    return Email(preview.path, titles)


def test_email_does_not_scroll_sideways_on_a_375px_phone(
    browser: BrowserThread, email: Email
) -> None:
    def measure(b: Browser) -> dict[str, int]:
        with open_page(b, email.url, PHONE) as page:
            return page.evaluate(WIDTHS_JS)

    widths = browser.run(measure)
    assert widths["inner"] == PHONE
    assert widths["document"] == widths["inner"], widths
    assert widths["body"] == widths["inner"], widths


def test_every_visible_text_is_at_least_14px_on_a_375px_phone(
    browser: BrowserThread, email: Email
) -> None:
    def text_sizes(b: Browser) -> list[dict[str, Any]]:
        with open_page(b, email.url, PHONE) as page:
            return page.evaluate(TEXT_SIZES_JS)

    texts = browser.run(text_sizes)
    assert texts, "the email shows some text"
    too_small = [t for t in texts if t["size"] < MIN_FONT_PX]
    assert not too_small, f"text smaller than {MIN_FONT_PX}px at {PHONE}px:\n" + "\n".join(
        f"  {t['size']:g}px <{t['tag']}> {t['text'][:80]!r}" for t in too_small
    )


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_every_article_title_is_visible(
    browser: BrowserThread, email: Email, width: int, request: pytest.FixtureRequest
) -> None:
    def find_hidden_titles(b: Browser) -> list[str]:
        hidden = []
        with open_page(b, email.url, width) as page:
            save_screenshot(page, request.node.originalname, width)
            for title in email.titles:
                link = page.get_by_role("link", name=title, exact=True)
                count, visible = link.count(), link.first.is_visible()
                box = link.first.bounding_box() if visible else None
                if count != 1 or box is None:
                    hidden.append(f"{title!r}: {count} links with that name, visible: {visible}")
                elif box["x"] < 0 or box["x"] + box["width"] > width + 0.5:
                    right = box["x"] + box["width"]
                    hidden.append(f"{title!r}: cut off, spans x={box['x']:g}..{right:g}")
        return hidden

    hidden = browser.run(find_hidden_titles)
    assert not hidden, f"titles not fully visible at {width}px:\n" + "\n".join(hidden)
