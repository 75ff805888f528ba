"""French and Arabic digests as Chromium lays them out at a phone's and a desktop's width: each
story's text in its own direction and alignment, the Arabic mail's words around them right to
left, nothing wider than the screen. Screenshots go to tests/artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from digest.render.email import EmailRenderer, personalise
from tests.browser import BrowserThread, open_page, save_screenshot
from tests.render.test_golden import READER
from tests.render.test_languages import ARABIC_STORY, FRENCH_STORY, TEMPLATES, issue_in

if TYPE_CHECKING:  # the browser fixture skips (or fails under CI) without Playwright
    from playwright.sync_api import Browser

# The laid-out direction and alignment of the element holding each text, and the page's widths.
LAYOUT_JS = """(texts) => {
    const found = {};
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (const text of texts) {
            if (found[text] || !node.textContent.includes(text)) continue;
            let element = node.parentElement;
            while (getComputedStyle(element).display === "inline") element = element.parentElement;
            const style = getComputedStyle(element);
            found[text] = {direction: style.direction, align: style.textAlign};
        }
    }
    return {
        found,
        html: [document.documentElement.lang, document.documentElement.dir],
        inner: window.innerWidth,
        document: document.documentElement.scrollWidth,
    };
}"""
ARABIC_TEXT = ARABIC_STORY.summary[:20]
FRENCH_TEXT = FRENCH_STORY.summary[:20]
ENGLISH_TEXT = "About 340 farmers"


@pytest.mark.parametrize("width", [375, 600])
def test_each_story_is_laid_out_in_its_own_direction(
    browser: BrowserThread, tmp_path: Path, width: int, request: pytest.FixtureRequest
) -> None:
    renderer = EmailRenderer(TEMPLATES)
    pages = {}
    for tag in ("fr", "ar"):
        html, _ = personalise(renderer.render(issue_in(tag)), READER)
        pages[tag] = tmp_path / f"digest.{tag}.html"
        pages[tag].write_text(html, encoding="utf-8")

    def lay_out(b: Browser) -> dict[str, Any]:
        out = {}
        for tag, path in pages.items():
            with open_page(b, path.resolve().as_uri(), width) as page:
                save_screenshot(page, f"{request.node.originalname}-{tag}", width)
                chrome = "Numéro 7" if tag == "fr" else "العدد 7"
                texts = [ARABIC_TEXT, FRENCH_TEXT, ENGLISH_TEXT, chrome]
                out[tag] = page.evaluate(LAYOUT_JS, texts)
                out[tag]["chrome"] = out[tag]["found"].pop(chrome)
        return out

    laid = browser.run(lay_out)
    right_to_left = {"direction": "rtl", "align": "right"}
    left_to_right = {"direction": "ltr", "align": "left"}
    for tag, page in laid.items():
        assert page["document"] == page["inner"] == width, (tag, page)
        assert page["found"][ARABIC_TEXT] == right_to_left, (tag, page)
        assert page["found"][FRENCH_TEXT] == left_to_right, (tag, page)
    assert laid["fr"]["html"] == ["fr", "ltr"]
    assert laid["fr"]["chrome"] == left_to_right
    assert laid["ar"]["html"] == ["ar", "rtl"]
    assert laid["ar"]["chrome"] == right_to_left
    # A story of no known language takes the list's: right to left in the Arabic mail.
    assert laid["ar"]["found"][ENGLISH_TEXT] == right_to_left
    assert laid["fr"]["found"][ENGLISH_TEXT] == left_to_right
