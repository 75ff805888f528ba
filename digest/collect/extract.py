"""Article page or feed HTML -> clean article text and page metadata; pure: no network, no clock."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

import lxml.html
import trafilatura
from lxml import etree

from digest.links import is_http_url

_BLOCKS = {
    "p",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "dd",
    "dt",
    "figcaption",
}

# Lines that belong to the page around an article, never to the article itself.
_BOILERPLATE = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^\(?\s*\d+\s*(minutes?|mins?)\s*read\s*\)?$",
        r"^\d+\s+\d+\s+votes?$",
        r"^article rating$",
        r"^(subscribe|notify of|guest|login|oldest|newest|most voted|newest most voted)$",
        r"^\d+\s+comments?$",
        r"^(inline feedbacks|view all comments|leave a (reply|comment)|share this:?)$",
        r"^https?://\S+$",
        r"^\d+$",
    )
]
_RELATED_HEADINGS = re.compile(
    r"^(read also|read more|see also|related( articles| posts)?|also read)\s*:?$", re.I
)
# "(Global ties)" badges under the title, alone or several on one line.
_LABEL = re.compile(r"^(?:\([^()]{1,40}\)\s*)+$")


@dataclass(frozen=True)
class ExtractedArticle:
    text: str  # paragraphs separated by a blank line
    title: str | None
    canonical_url: str | None
    section: str | None
    tags: tuple[str, ...]
    image_count: int
    image_url: str | None = None  # the lead image (og:image), absolute http(s)
    image_alt: str | None = None


def extract_article(html: bytes | str, url: str) -> ExtractedArticle:
    """Main text of an article page (trafilatura), cleaned, with the page's own metadata."""
    tree = _parse(html)
    text = ""
    if tree is not None:
        extracted = trafilatura.extract(
            tree,
            url=url,
            include_comments=False,
            include_tables=False,
            include_images=False,
            favor_precision=True,
            output_format="txt",
        )
        text = clean_text(extracted or "")
    if tree is None:
        return ExtractedArticle("", None, None, None, (), 0)
    image_url, image_alt = _lead_image(tree, url)
    return ExtractedArticle(
        text=text,
        title=_meta(tree, "og:title") or _first_text(tree, "//h1"),
        canonical_url=_canonical(tree, url),
        section=_meta(tree, "article:section"),
        tags=tuple(_metas(tree, "article:tag")),
        image_count=len(tree.xpath("//article//img|//*[contains(@class,'entry-content')]//img")),
        image_url=image_url,
        image_alt=image_alt,
    )


def html_to_text(fragment: str) -> str:
    """Feed content (an HTML fragment) -> cleaned paragraphs."""
    if not fragment.strip():
        return ""
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return clean_text(fragment)
    for bad in root.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    paragraphs: list[str] = []
    blocks = [el for el in root.iter() if isinstance(el.tag, str) and el.tag in _BLOCKS]
    if not blocks:
        return clean_text(root.text_content())
    for el in blocks:
        if any(isinstance(a.tag, str) and a.tag in _BLOCKS for a in el.iterancestors()):
            continue  # the outer block already holds this text
        paragraphs.append(el.text_content())
    return clean_text("\n".join(paragraphs))


def clean_text(text: str) -> str:
    """Drop boilerplate lines, "Read Also" link lists and repeated paragraphs; normalise spaces."""
    kept: list[str] = []
    seen: set[str] = set()
    in_related = False
    for line in text.splitlines():
        line = " ".join(line.split())
        if not line:
            continue
        if _RELATED_HEADINGS.match(line):
            in_related = True
            continue
        if in_related:
            if _looks_like_link_line(line):
                continue
            in_related = False
        if _LABEL.match(line) or any(p.match(line) for p in _BOILERPLATE):
            continue
        key = _fingerprint(line)
        if not key:
            continue
        # The lead printed twice: once as a standfirst, once (slightly edited) as paragraph one;
        # keep the fuller one in its place.
        if kept and _same_paragraph(_fingerprint(kept[-1]), key):
            if len(line) > len(kept[-1]):
                kept[-1] = line
            seen.add(key)
            continue
        if key in seen:
            continue
        seen.add(key)
        kept.append(line)
    return "\n\n".join(kept)


def _looks_like_link_line(line: str) -> bool:
    if re.match(r"^https?://\S+$", line):
        return True
    # A link title is short and does not end like a sentence (closing quotes included).
    return len(line.split()) <= 14 and not re.search(r"[.!?…][\"'”’»)]*$", line)


def _fingerprint(line: str) -> str:
    return " ".join(re.findall(r"\w+", line.casefold()))


def _same_paragraph(a: str, b: str) -> bool:
    if len(a) < 40 or len(b) < 40:
        return False
    short, long_ = sorted((a, b), key=len)
    return long_.startswith(short) and len(short) >= 0.9 * len(long_)


def _parse(html: bytes | str) -> lxml.html.HtmlElement | None:
    try:
        return lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None


def _meta(tree: lxml.html.HtmlElement, prop: str) -> str | None:
    values = _metas(tree, prop)
    return values[0] if values else None


def _metas(tree: lxml.html.HtmlElement, prop: str) -> list[str]:
    found = tree.xpath(f"//meta[@property='{prop}' or @name='{prop}']/@content")
    return [" ".join(v.split()) for v in found if v.strip()]


def _first_text(tree: lxml.html.HtmlElement, xpath: str) -> str | None:
    for el in tree.xpath(xpath):
        text = " ".join(el.text_content().split())
        if text:
            return text
    return None


def _canonical(tree: lxml.html.HtmlElement, url: str) -> str | None:
    for href in tree.xpath("//link[@rel='canonical']/@href"):
        href = href.strip()
        if href:
            absolute = urljoin(url, href)
            if is_http_url(absolute):
                return absolute
    return None


def _lead_image(tree: lxml.html.HtmlElement, url: str) -> tuple[str | None, str | None]:
    """og:image with its alt text (og:image:alt, else the alt of the same image in the page)."""
    src = _meta(tree, "og:image")
    if not src:
        return None, None
    absolute = urljoin(url, src)
    if not is_http_url(absolute):
        return None, None
    alt = _meta(tree, "og:image:alt")
    if not alt:
        stem = absolute.rsplit("/", 1)[-1].split("-")[0]
        for img in tree.xpath("//img[@alt]"):
            if stem and stem in (img.get("src") or "") and img.get("alt", "").strip():
                alt = " ".join(img.get("alt").split())
                break
    return absolute, alt
