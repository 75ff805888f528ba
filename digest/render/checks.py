"""Pre-send checks of a rendered issue, shown to editors and run before every send."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import lxml.html
from lxml import etree

from digest.editorial.curate import Section
from digest.links import is_http_url

# Gmail clips a message whose HTML is larger than this and hides the rest (and the footer).
GMAIL_CLIP_BYTES = 102 * 1024
SUBJECT_WARN_CHARS = 70


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    blocking: bool  # a failed blocking check stops the send
    detail: str


def run_checks(
    *, html: str, text: str, subject: str, sections: Sequence[Section], unsubscribe_url: str
) -> list[Check]:
    """Checks of one personalised rendering (a sample recipient's) of an issue."""
    size = len(html.encode("utf-8"))
    checks = [
        Check(
            "size",
            size < GMAIL_CLIP_BYTES,
            True,
            f"HTML is {size / 1024:.1f} KB (Gmail clips above {GMAIL_CLIP_BYTES // 1024} KB)",
        )
    ]
    try:
        tree = lxml.html.document_fromstring(html)
        hrefs = [h.strip() for h in tree.xpath("//a/@href")]
        images = tree.xpath("//img")
    except (etree.ParserError, ValueError):
        hrefs, images = [], []
        checks.append(Check("html", False, True, "the HTML could not be parsed"))
    bad_links = [h for h in hrefs if not is_http_url(h)]
    checks.append(
        Check(
            "links",
            not bad_links,
            True,
            f"{len(hrefs)} links, all absolute http(s)"
            if not bad_links
            else f"{len(bad_links)} link(s) not absolute http(s): {', '.join(bad_links[:3])}",
        )
    )
    # alt="" says an image is decorative (the story's title beside it says what it is): fine.
    # No alt at all makes screen readers spell out the file name.
    no_alt = [img.get("src", "?") for img in images if img.get("alt") is None]
    checks.append(
        Check(
            "images",
            not no_alt,
            True,
            f"{len(images)} image(s), each with an alt attribute"
            if not no_alt
            else f"{len(no_alt)} image(s) without an alt attribute: {', '.join(no_alt[:3])}",
        )
    )
    stripped = subject.strip()
    checks.append(
        Check(
            "subject",
            0 < len(stripped) <= SUBJECT_WARN_CHARS,
            not stripped,
            "subject is empty"
            if not stripped
            else f"subject is {len(stripped)} characters"
            + (
                f" (over {SUBJECT_WARN_CHARS} is cut off by most inboxes)"
                if len(stripped) > SUBJECT_WARN_CHARS
                else ""
            ),
        )
    )
    empty = [s.region for s in sections if not s.stories]
    checks.append(
        Check(
            "sections",
            bool(sections) and not empty,
            True,
            f"{sum(len(s.stories) for s in sections)} article(s) in {len(sections)} section(s)"
            if sections and not empty
            else "no articles"
            if not sections
            else f"empty section(s): {', '.join(empty)}",
        )
    )
    present = unsubscribe_url in hrefs and unsubscribe_url in text
    checks.append(
        Check(
            "unsubscribe",
            present,
            True,
            "unsubscribe link in both parts" if present else "unsubscribe link missing",
        )
    )
    return checks


def blocking_failures(checks: Sequence[Check]) -> list[Check]:
    return [c for c in checks if c.blocking and not c.ok]
