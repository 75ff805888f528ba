"""Checks other projects' maintainers wrote on real pages, read from their sdists' test files.

trafilatura 1.1.0's sdist (GPL-3.0-or-later at that version; fetched at benchmark time by
tests/bench/package_fixtures.py, nothing copied here) keeps saved pages in tests/cache/ and,
in tests/realworld_tests.py, the snippets its maintainers require in or out of each page's
extracted text (`assert 'x' in result and 'y' not in result`), and in
tests/metadata_tests.py the title, author, date, categories and tags they expect of some of
them. newspaper4k 0.9.6's sdist (MIT) keeps, beside its pages, tests/data/metadata/NAME.json
with each page's title, authors and publication date. These files are read with `ast` and
`json`, never imported or run.

Dev and held-out halves are made by site (the host of the page's address), by a hash of the
host: deterministic, fixed before any rule was tuned, and a site is never on both sides.
"""

from __future__ import annotations

import ast
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from tests.bench.package_fixtures import unpack

TRAFILATURA = "trafilatura==1.1.0"
NEWSPAPER = "newspaper4k==0.9.6"


@dataclass
class PageChecks:
    url: str
    path: Path
    must: list[str] = field(default_factory=list)
    must_not: list[str] = field(default_factory=list)
    # field -> expected value: "title", "author", "date" (YYYY-MM-DD), "categories", "tags"
    metadata: dict[str, object] = field(default_factory=dict)


def held_out(url: str) -> bool:
    host = (urlsplit(url).hostname or url).removeprefix("www.")
    return hashlib.sha256(host.encode()).digest()[0] % 2 == 1


def snippet_pages() -> list[PageChecks]:
    def record(page: PageChecks, check: ast.Assert) -> None:
        for snippet, wanted in _snippets(check.test):
            (page.must if wanted else page.must_not).append(snippet)

    return [p for p in _checked_pages("realworld_tests.py", record) if p.must or p.must_not]


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
    for call in ast.walk(node.value):
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
