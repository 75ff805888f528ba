"""Real feeds in legacy encodings they do not declare (tests/collect/feeds/feedparser/, from
feedparser's test suite): each read with its entries' titles and text right, and the one cut
off in transfer refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.collect.extract import html_to_text
from digest.collect.feeds import parse_feed
from digest.errors import CollectError

CORPUS = Path(__file__).resolve().parent / "feeds" / "feedparser"

# file -> (feed title, [(entry title, opening of its text)]), read from each file decoded with
# the encoding feedparser's comment names.
EXPECTED: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "big5.xml": ("我希望??很容易?其翻?成中文，并有助于改??件。 感?您??本文。", []),
    "eucjp.xml": (
        "",
        [("ゲーム三昧な正月", "『SDガンダムGジェネレーションNEO』をずっとプレイしている。")],
    ),
    "euckr.xml": (
        "",
        [("EUC-KR 에서 TypeKey 한글닉네임 표시하기", "TypeKey 시스템이 UTF-8로 돌아가는데,")],
    ),
    "gb2312.xml": ("", [("不归移民漫画系列：专业工作", "")]),
    "koi8r.xml": ("", [("Как пережить новогоднюю ночь", "Наверное, единственное, во что")]),
    "shiftjis.xml": (
        "",
        [
            (
                "DrecomRSSに記事投稿が反映されない…",
                "色々調べてたら、MT3.2がRSS1.0をサポートしていない",
            )
        ],
    ),
    "tis620.xml": ("", [("", "สำนักงานส่งเสริมอุตสาหกรรมซอฟต์แวร์แห่งชาติ หรือ SIPA")]),
    "windows1255.xml": ("", [("", "האם תדפיס נייר של אתר אינטרנט שמוצג על מסך משתמש")]),
}


def test_every_file_of_the_corpus_has_its_expectation() -> None:
    files = {p.name for p in CORPUS.glob("*.xml")}
    assert files == set(EXPECTED) | {"koi8r-truncated.xml"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_an_undeclared_legacy_feed_reads_right(name: str) -> None:
    title, entries = EXPECTED[name]
    feed = parse_feed((CORPUS / name).read_bytes(), f"https://feeds.example.org/{name}")
    assert feed.title == title
    assert len(feed.entries) == len(entries)
    for entry, (entry_title, opening) in zip(feed.entries, entries, strict=True):
        assert entry.title == entry_title
        assert html_to_text(entry.summary_html).startswith(opening)


def test_the_feed_cut_off_in_transfer_is_refused() -> None:
    data = (CORPUS / "koi8r-truncated.xml").read_bytes()
    with pytest.raises(CollectError, match="cut off: its <rss> never closes"):
        parse_feed(data, "https://feeds.example.org/koi8r-truncated.xml")
