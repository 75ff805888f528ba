"""The front-page digest as Chromium lays it out, in English, French and Arabic, at a phone's and
a desktop's width, light and dark (prefers-color-scheme): a text column of at least 335 px on a
375 px screen, nothing wider than the screen, and every text at least 4.5:1 against what is
behind it (WCAG AA), computed from the styles Chromium computed. Remote images are refused, as
with images off: their alt text must read as plain styled text. Screenshots: tests/artifacts/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pytest

from digest.render.email import EmailRenderer, personalise
from tests.browser import BrowserThread, open_page, save_screenshot
from tests.render.big_issue import big_issue
from tests.render.test_golden import READER

if TYPE_CHECKING:  # the browser fixture skips (or fails under CI) without Playwright
    from playwright.sync_api import Browser

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
PHONE, DESKTOP = 375, 600
MIN_COLUMN = 335
AA = 4.5

# Each visible text (and each image standing in with its alt text): its colour, the first
# opaque background behind it, its size and weight; then the widths of the page and of the
# story column (the block holding a story's summary).
MEASURE_JS = """(summary) => {
    const backdrop = (element) => {
        for (let e = element; e; e = e.parentElement) {
            const bg = getComputedStyle(e).backgroundColor;
            if (!/rgba\\(.*, 0\\)$/.test(bg) && bg !== "transparent") return bg;
        }
        return getComputedStyle(document.documentElement).backgroundColor;
    };
    const seen = [];
    const visible = (e) => {
        const box = e.getBoundingClientRect();
        const style = getComputedStyle(e);
        return box.width > 0 && box.height > 0 && style.visibility === "visible"
            && style.display !== "none";
    };
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node.textContent.replace(/\\s+/g, " ").trim();
        const e = node.parentElement;
        if (!text || !e || !visible(e) || e.closest("[style*='display:none']")) continue;
        const style = getComputedStyle(e);
        seen.push({text: text.slice(0, 60), tag: e.tagName.toLowerCase(), color: style.color,
                   background: backdrop(e), size: parseFloat(style.fontSize),
                   weight: parseInt(style.fontWeight)});
    }
    const images = [];
    for (const img of document.images) {
        const style = getComputedStyle(img);
        images.push({alt: img.alt, loaded: img.complete && img.naturalWidth > 0,
                     width: img.getBoundingClientRect().width,
                     height: img.getBoundingClientRect().height,
                     color: style.color, background: backdrop(img),
                     underline: style.textDecorationLine, linked: !!img.closest("a"),
                     size: parseFloat(style.fontSize), weight: 400});
    }
    const holder = [...document.querySelectorAll("p, div")].filter(
        (e) => e.textContent.trim().startsWith(summary) && getComputedStyle(e).display === "block");
    return {texts: seen, images,
            column: holder.length ? holder[0].getBoundingClientRect().width : 0,
            inner: window.innerWidth, document: document.documentElement.scrollWidth};
}"""


def channels(css: str) -> tuple[float, float, float, float]:
    values = [float(v) for v in re.findall(r"[\d.]+", css)]
    return (values[0], values[1], values[2], values[3] if len(values) > 3 else 1.0)


def luminance(css: str) -> float:
    def linear(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b, _ = channels(css)
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)


def contrast(color: str, background: str) -> float:
    r, g, b, alpha = channels(color)
    if alpha < 1:  # a translucent colour is seen over its background
        br, bg_, bb, _ = channels(background)
        color = f"rgb({r * alpha + br * (1 - alpha)}, {g * alpha + bg_ * (1 - alpha)}, "
        color += f"{b * alpha + bb * (1 - alpha)})"
    high, low = sorted((luminance(color), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def needed(item: dict[str, Any]) -> float:
    """WCAG AA: 4.5:1, or 3:1 for large text (24px, or 18.66px bold)."""
    large = item["size"] >= 24 or (item["size"] >= 18.66 and item["weight"] >= 700)
    return 3.0 if large else AA


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
    low = [
        f"{contrast(t['color'], t['background']):.2f} <{t['tag']}> {t['color']} on "
        f"{t['background']}: {t['text']!r}"
        for t in laid["texts"]
        if contrast(t["color"], t["background"]) < needed(t)
    ]
    assert not low, f"below AA ({scheme}, {width}px):\n" + "\n".join(low)


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
