"""Contrast as WCAG 2 computes it, from the colours Chromium computed for a page: what the
front-page tests and the design bench (tests/bench/bench_email_design.py) both measure."""

from __future__ import annotations

import re
from typing import Any

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
