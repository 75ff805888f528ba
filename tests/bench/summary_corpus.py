"""Real news articles with reference summaries for bench_summaries, from PyPI sdists' test data.

Nothing is copied into this repository: the sdists are fetched with `pip download` into a
cache folder when the benchmark runs. Origins (both packages' test fixtures are pages of
news sites, kept by the packages to test their extractors):

- newspaper4k 0.9.6 (MIT): tests/data/metadata/*.json, each the page's extracted `text`, its
  `title` and its `meta_description`;
- trafilatura 1.1.0 (GPL-3.0-or-later at that version): tests/cache/*.html, saved pages; the
  text is extracted here with digest's own extractor, the reference is the page's
  og:description (or description) meta.

The reference summary is the description the publisher wrote for the page, as in the
NEWSROOM summarisation corpus (Grusky et al., 2018), which took its summaries from the same
metadata. Only English pages are kept whose description has at least 10 words and whose
text has at least 150, so that there is something to summarise. The articles remain their
publishers'; they are used to measure, never redistributed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

import lxml.html

from digest.collect.extract import extract_article
from digest.editorial.reading_time import count_words

SDISTS = ("newspaper4k==0.9.6", "trafilatura==1.1.0")
# Pages that are not a news publisher's article (blogs, a tutorial, an organisation's pages):
# kept in the corpus, and reported apart as well.
NOT_NEWS = ("befifty", "blog.wordpress", "boingboing", "caktusgroup", "creativecommons",
            "github.blog", "lemire", "luxuriousmagazine", "pluralsight", "stackoverflow",
            "wikimediafoundation")  # fmt: skip
CACHE = Path.home() / ".cache" / "digest-bench" / "summary-corpus"


@dataclass(frozen=True)
class Article:
    origin: str  # package and file
    title: str
    text: str
    reference: str

    @property
    def news(self) -> bool:
        return not any(name in self.origin for name in NOT_NEWS)


def load(cache: Path = CACHE) -> list[Article]:
    """The corpus, fetching the sdists once into cache."""
    folder = _fetch(cache)
    articles = _newspaper(folder) + _trafilatura(folder)
    seen: set[str] = set()
    kept = []
    for a in articles:
        if a.title.casefold() in seen:
            continue
        seen.add(a.title.casefold())
        if count_words(a.reference) >= 10 and count_words(a.text) >= 150:
            kept.append(a)
    return kept


def _fetch(cache: Path) -> Path:
    cache.mkdir(parents=True, exist_ok=True)
    for requirement in SDISTS:
        name, version = requirement.split("==")
        if not list(cache.glob(f"{name}-{version}.tar.gz")):
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                 "--no-binary", ":all:", "--dest", str(cache), requirement],
                check=True,
            )  # fmt: skip
        unpacked = cache / f"{name}-{version}"
        if not unpacked.is_dir():
            with tarfile.open(cache / f"{name}-{version}.tar.gz") as archive:
                archive.extractall(cache, filter="data")
    return cache


def _newspaper(folder: Path) -> list[Article]:
    out = []
    metadata = folder / "newspaper4k-0.9.6" / "tests" / "data" / "metadata"
    for path in sorted(metadata.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if (data.get("meta_lang") or data.get("language")) != "en":
            continue
        out.append(
            Article(
                origin=f"newspaper4k-0.9.6/tests/data/metadata/{path.name}",
                title=" ".join((data.get("title") or "").split()),
                text=data.get("text") or "",
                reference=" ".join((data.get("meta_description") or "").split()),
            )
        )
    return out


def _trafilatura(folder: Path) -> list[Article]:
    out = []
    for path in sorted((folder / "trafilatura-1.1.0" / "tests" / "cache").glob("*.html")):
        raw = path.read_bytes()
        try:
            tree = lxml.html.document_fromstring(raw)
        except (lxml.etree.ParserError, ValueError):
            continue
        lang = (tree.get("lang") or "").lower()
        locale = " ".join(tree.xpath("//meta[@property='og:locale']/@content")).lower()
        if not (lang.startswith("en") or locale.startswith("en")):
            continue
        described = tree.xpath(
            "//meta[@property='og:description']/@content|//meta[@name='description']/@content"
        )
        page = extract_article(raw, f"https://{path.stem}/")
        out.append(
            Article(
                origin=f"trafilatura-1.1.0/tests/cache/{path.name}",
                title=page.title or "",
                text=page.text,
                reference=" ".join(described[0].split()) if described else "",
            )
        )
    return out
