"""Benchmark: personalising messages from one rendered issue vs one full render.

Run by hand: python -m tests.bench.bench_personalise [--messages 100000]

A full render is Jinja2 -> MJML -> HTML plus the text part. Personalising one message is what
delivery does per recipient: sign the reader's unsubscribe and preferences tokens, then join
the issue's pre-encoded MIME bytes with that reader's headers and links. The issue asks for
personalisation to cost under 1/100 of a render.

Three ways of linking stories, each beside the first: the raw article links; counted links
(/c/m/TOKEN, the same for every reader: one more marker filled with "m"); counted links with
analytics.per_reader (each reader's part signed: one more HMAC per message).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from digest.collect.extract import extract_article, html_to_text
from digest.collect.feeds import parse_feed
from digest.delivery.message import Envelope, MessageTemplate, Personal
from digest.editorial.article_rules import EditorialRules, edit_article
from digest.editorial.curate import Story, group_by_region
from digest.pipeline.clicks import CountedLinks
from digest.render.email import EmailRenderer, IssueView, Markers, Recipient, RenderedIssue
from subscribers import reader_urls
from subscribers.tokens import TokenSigner, TokenSubject

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "digest" / "samples"


def sample_issue() -> IssueView:
    """The bundled samples' 12 articles, edited as collection would."""
    stories = []
    for feed_file, region in (
        ("northern-africa.xml", "Northern Africa"),
        ("west-africa.atom", "West Africa"),
    ):
        path = SAMPLES / "feeds" / feed_file
        for entry in parse_feed(path.read_bytes(), path.as_uri()).entries:
            text = html_to_text(entry.content_html or entry.summary_html)
            url = entry.link or ""
            if not entry.content_html and url.startswith("file:"):
                page = extract_article(Path(url[len("file://") :]).read_bytes(), url)
                text, url = page.text, page.canonical_url or url
            draft = edit_article(
                identity=entry.guid or url,
                url=url,
                title=entry.title,
                author=entry.author,
                published_at=entry.published_at,
                text=text,
                region=region,
                feed_categories=entry.categories,
                page_tags=(),
                source_tags=(),
                rules=EditorialRules(),
            )
            stories.append(
                Story(
                    len(stories) + 1,
                    draft.title,
                    draft.url,
                    draft.region,
                    tuple(draft.tags),
                    draft.reading_minutes,
                    draft.summary,
                    draft.published_at,
                )
            )
    return IssueView(
        newsletter_name="Regional Digest",
        list_name="The Weekly",
        number=1,
        period_start=date(2026, 11, 16),
        period_end=date(2026, 11, 22),
        subject="The Weekly #1",
        sections=tuple(group_by_region(stories)),
        postal_address="Regional Digest, 12 Harbour Road, Casablanca",
        base_url="https://news.example.org",
        archive_url="https://news.example.org/archive/weekly/1",
        intro="This week in the region.",
    )


def per_message(
    rendered: RenderedIssue, messages: int, story_reader: Callable[[int], str]
) -> tuple[float, float, int]:
    """(seconds per message for its links, for the filling, bytes in all) for one way of
    linking stories; story_reader(n) is reader n's part of the counted links."""
    signer = TokenSigner("benchmark-secret")
    assert rendered.markers is not None
    template = MessageTemplate(
        envelope=Envelope(
            "digest@news.example.org", "Regional Digest", "The Weekly", "weekly.news.example.org"
        ),
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        markers=rendered.markers.all(),
        now=datetime(2026, 11, 23, 7, tzinfo=UTC),
    )
    # Links first (the same work whichever way messages are made), then the filling itself.
    start = time.perf_counter()
    readers = []
    for n in range(messages):
        subject = TokenSubject(n, 1)
        recipient = Recipient(
            f"reader{n}@example.org",
            f"https://news.example.org/u/{signer.sign('unsubscribe', subject)}",
            f"https://news.example.org/p/{signer.sign('preferences', subject)}",
            story_reader(n),
        )
        values = recipient.values(rendered.markers)
        readers.append(Personal(recipient.email, values, recipient.unsubscribe_url))
    links_s = (time.perf_counter() - start) / messages
    size = 0
    start = time.perf_counter()
    for personal in readers:
        data, _ = template.build(personal)
        size += len(data)
    return links_s, (time.perf_counter() - start) / messages, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--renders", type=int, default=20)
    args = parser.parse_args()

    renderer = EmailRenderer(REPO / "templates")
    issue = sample_issue()
    renderer.render(issue)  # warm up template compilation
    render_times = []
    for _ in range(args.renders):
        start = time.perf_counter()
        rendered = renderer.render(issue)
        render_times.append(time.perf_counter() - start)
    render_s = statistics.median(render_times)
    signer = TokenSigner("benchmark-secret")
    markers = Markers.drawn()
    links = CountedLinks(issue.base_url, signer.clicks, markers.story_reader)
    counted_issue = renderer.render(links.counted(issue, 1), markers)
    ways = {
        "raw article links": (rendered, lambda n: reader_urls.CLICK_PREVIEW),
        "counted links": (counted_issue, lambda n: reader_urls.CLICK_MAIL),
        "counted, per reader": (counted_issue, lambda n: signer.clicks.reader_token(1, n)),
    }
    print(
        f"issue: {sum(len(s.stories) for s in issue.sections)} articles, "
        f"HTML {len(rendered.html) / 1024:.1f} KB"
    )
    print(f"full render (median of {args.renders}): {render_s * 1000:8.4f} ms")
    print(f"per message, of {args.messages}:  links ms  filling ms  both ms  of a render  KB")
    baseline = None
    for name, (made, story_reader) in ways.items():
        links_s, fill_s, size = per_message(made, args.messages, story_reader)
        both = links_s + fill_s
        baseline = baseline or both
        print(
            f"  {name:21} {links_s * 1000:8.4f} {fill_s * 1000:11.4f} {both * 1000:8.4f}"
            f"  1/{render_s / both:<9.0f} {size / args.messages / 1024:5.1f}"
            f"  ({both / baseline:.2f}x raw links)"
        )
    print("floor: personalising under 1/100 of a render")


if __name__ == "__main__":
    main()
