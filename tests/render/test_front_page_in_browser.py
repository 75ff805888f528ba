"""The front-page digest as Chromium lays it out, in English, French and Arabic, at a phone's and
a desktop's width, light and dark (prefers-color-scheme): a text column of at least 335 px on a
375 px screen, nothing wider than the screen, and every text at least 4.5:1 against what is
behind it (WCAG AA), computed from the styles Chromium computed. Remote images are refused, as
with images off: their alt text must read as plain styled text. The confirmation and welcome
mails wear the same design and are held to the same. Screenshots: tests/artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pytest

from digest.render.email import EmailRenderer, personalise
from tests.browser import BrowserThread, open_page, save_screenshot
from tests.render.big_issue import big_issue
from tests.render.contrast import AA, MEASURE_JS, contrast, luminance, needed
from tests.render.reader_mails import MAILS, POSTAL, html_of
from tests.render.test_golden import READER

if TYPE_CHECKING:  # the browser fixture skips (or fails under CI) without Playwright
    from playwright.sync_api import Browser

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
PHONE, DESKTOP = 375, 600
MIN_COLUMN = 335


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    renderer = EmailRenderer(TEMPLATES)
    folder = tmp_path_factory.mktemp("front-page")
    out = {}
    for tag in ("en", "fr", "ar"):
        html, _ = personalise(renderer.render(big_issue(12, tag)), READER)
        out[tag] = folder / f"digest.{tag}.html"
        out[tag].write_text(html, encoding="utf-8")
    return out


def measure(
    browser: BrowserThread,
    page_file: Path,
    width: int,
    scheme: Literal["light", "dark"],
    screenshot: str,
    summary: str,
) -> dict[str, Any]:
    def run(b: Browser) -> dict[str, Any]:
        with open_page(b, page_file.resolve().as_uri(), width, color_scheme=scheme) as page:
            save_screenshot(page, screenshot, width)
            return page.evaluate(MEASURE_JS, summary[:40])

    return browser.run(run)


def low_contrast(laid: dict[str, Any]) -> list[str]:
    return [
        f"{contrast(t['color'], t['background']):.2f} <{t['tag']}> {t['color']} on "
        f"{t['background']}: {t['text']!r}"
        for t in laid["texts"]
        if contrast(t["color"], t["background"]) < needed(t)
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [PHONE, DESKTOP])
@pytest.mark.parametrize("tag", ["en", "fr", "ar"])
def test_every_text_meets_aa_contrast_and_nothing_overflows(
    browser: BrowserThread,
    pages: dict[str, Path],
    tag: str,
    width: int,
    scheme: Literal["light", "dark"],
    request: pytest.FixtureRequest,
) -> None:
    name = f"{request.node.originalname}-{tag}-{scheme}"
    laid = measure(
        browser, pages[tag], width, scheme, name, big_issue(12, tag).sections[0].stories[-1].summary
    )

    assert laid["document"] == laid["inner"] == width, laid
    if width == PHONE:
        assert laid["column"] >= MIN_COLUMN, f"story column {laid['column']}px at {PHONE}px"
    assert laid["texts"], "the page shows text"
    low = low_contrast(laid)
    assert not low, f"below AA ({scheme}, {width}px):\n" + "\n".join(low)


@pytest.fixture(scope="module")
def mail_pages(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    renderer = EmailRenderer(TEMPLATES)
    folder = tmp_path_factory.mktemp("reader-mails")
    out = {}
    for name in MAILS:
        for tag in ("en", "fr", "ar"):
            out[name, tag] = folder / f"{name}.{tag}.html"
            out[name, tag].write_text(html_of(renderer, name, tag), encoding="utf-8")
    return out


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [PHONE, DESKTOP])
@pytest.mark.parametrize("tag", ["en", "fr", "ar"])
@pytest.mark.parametrize("name", list(MAILS))
def test_the_confirmation_and_welcome_mails_meet_aa_and_fit_a_phone(
    browser: BrowserThread,
    mail_pages: dict[tuple[str, str], Path],
    name: str,
    tag: str,
    width: int,
    scheme: Literal["light", "dark"],
) -> None:
    # The confirmation link, a long unbroken address, is what would widen a phone's screen.
    laid = measure(browser, mail_pages[name, tag], width, scheme, f"{name}-{tag}-{scheme}", "")

    assert laid["document"] == laid["inner"] == width, laid
    footer = [t for t in laid["texts"] if t["text"] == POSTAL[:60]]
    assert footer, laid["texts"]
    # Dark mode is the mail's own (front_page.mjml.j2), not left to the client.
    shade = luminance(footer[0]["background"])
    assert shade < 0.02 if scheme == "dark" else shade > 0.8, footer
    low = low_contrast(laid)
    assert not low, f"below AA ({name}, {scheme}, {width}px):\n" + "\n".join(low)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_images_off_leave_plain_styled_alt_text_in_reserved_boxes(
    browser: BrowserThread,
    pages: dict[str, Path],
    scheme: Literal["light", "dark"],
    request: pytest.FixtureRequest,
) -> None:
    name = f"{request.node.originalname}-{scheme}"
    laid = measure(browser, pages["en"], PHONE, scheme, name, "After fourteen months")

    images = laid["images"]
    assert images, "the issue has images"
    for image in images:
        assert not image["loaded"]  # refused, as with images off
        assert image["width"] > 0 and image["height"] > 0, image  # their boxes kept
        assert not image["linked"] and "underline" not in image["underline"], image
        assert contrast(image["color"], image["background"]) >= AA, image
