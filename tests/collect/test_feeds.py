"""parse_feed: RSS and Atom bytes -> entries, links made absolute, bad input refused."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.collect.feeds import FeedEntry, parse_feed
from digest.errors import CollectError

SAMPLES = Path(__file__).resolve().parents[2] / "digest" / "samples"
FEED_URL = "http://127.0.0.1:8080/feeds/coast.xml"

RSS_WITH_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"
  xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel>
    <title>Lagoon Ledger — Coast</title>
    <link>https://lagoon-ledger.example.net/</link>
    <description>Weekly notes from the lagoon towns.</description>
    <item>
      <title>  Ferry line to Grand-Bassam doubles its crossings  </title>
      <link>https://lagoon-ledger.example.net/2026/03/04/ferry-crossings/</link>
      <dc:creator>Awa Koné</dc:creator>
      <pubDate>Wed, 04 Mar 2026 09:30:00 +0200</pubDate>
      <category>Transport</category>
      <category>  Economy </category>
      <guid isPermaLink="false">lagoon-2026-0304-ferry</guid>
      <description><![CDATA[It adds a second boat &amp; an evening run.]]></description>
      <content:encoded><![CDATA[<p>The lagoon ferry now crosses twelve times a day.</p>
        <p>Its owner, Mr. Yao, says the evening run is full.</p>]]></content:encoded>
    </item>
    <item>
      <title>Fishing co-operative opens a cold store</title>
      <link>https://lagoon-ledger.example.net/2026/03/03/cold-store/</link>
      <pubDate>Tue, 03 Mar 2026 07:00:00 GMT</pubDate>
      <guid>https://lagoon-ledger.example.net/?p=311</guid>
      <description>Fish can now wait two days for the market.</description>
    </item>
  </channel>
</rss>
""".encode()

ATOM_WITH_HTML_CONTENT = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Highland Bulletin</title>
  <link rel="alternate" type="text/html" href="https://highland-bulletin.example.net/"/>
  <id>tag:highland-bulletin.example.net,2026:feed</id>
  <updated>2026-03-05T10:00:00Z</updated>
  <entry>
    <title>Tea growers and the new auction rules</title>
    <link rel="alternate" type="text/html" href="https://highland-bulletin.example.net/2026/03/05/tea-auction/"/>
    <id>tag:highland-bulletin.example.net,2026:0305</id>
    <published>2026-03-05T08:15:00+03:00</published>
    <updated>2026-03-05T09:00:00Z</updated>
    <author><name>Wanjiru Mwangi</name></author>
    <category term="Agriculture"/>
    <category term="Trade"/>
    <summary type="text">Small growers can now sell directly at the weekly auction.</summary>
    <content type="html">&lt;p&gt;Small tea growers may now sell at the weekly auction
      without a broker.&lt;/p&gt;&lt;p&gt;Prices rose 3.5%% in the first week.&lt;/p&gt;</content>
  </entry>
  <entry>
    <title>Only updated, never published</title>
    <link href="https://highland-bulletin.example.net/2026/03/04/updated-only/"/>
    <id>tag:highland-bulletin.example.net,2026:0304</id>
    <updated>2026-03-04T12:00:00Z</updated>
    <summary>An entry that carries only an updated date.</summary>
  </entry>
</feed>
""".replace("%%", "%").encode()

RELATIVE_RSS = b"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>Relative</title><link>/</link>
  <item><title>Up one folder</title><link>../pages/one.html</link><guid>r1</guid></item>
  <item><title>Same folder</title><link>two.html</link><guid>r2</guid></item>
  <item><title>Root relative</title><link>/archive/three.html</link><guid>r3</guid></item>
  <item><title>Already absolute</title><link>https://elsewhere.example.net/four</link><guid>r4</guid></item>
</channel></rss>
"""

RELATIVE_ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Relative Atom</title>
  <id>tag:example.net,2026:rel</id>
  <updated>2026-03-01T00:00:00Z</updated>
  <entry>
    <title>Teaser only</title>
    <link rel="alternate" type="text/html" href="../pages/five.html"/>
    <id>tag:example.net,2026:5</id>
    <updated>2026-03-01T00:00:00Z</updated>
    <summary>A teaser.</summary>
  </entry>
</feed>
"""

NO_GUID_NO_DATE_RSS = b"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>Bare</title><link>https://bare.example.net/</link>
  <item>
    <title>No guid, no date</title>
    <link>https://bare.example.net/no-guid</link>
    <description>Nothing but a title, a link and this line.</description>
  </item>
  <item>
    <description>Not even a title or a link.</description>
  </item>
</channel></rss>
"""

NO_ID_NO_DATE_ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Bare Atom</title>
  <entry>
    <title>Atom entry without id or dates</title>
    <link href="https://bare.example.net/atom-no-id"/>
    <summary>Just a summary.</summary>
  </entry>
</feed>
"""


# RSS 2.0 ------------------------------------------------------------------------------------


def test_rss_content_encoded_is_the_full_content_and_description_the_summary() -> None:
    feed = parse_feed(RSS_WITH_CONTENT, FEED_URL)

    assert feed.title == "Lagoon Ledger — Coast"
    assert feed.link == "https://lagoon-ledger.example.net/"
    assert len(feed.entries) == 2
    first = feed.entries[0]
    assert isinstance(first, FeedEntry)
    assert first.title == "Ferry line to Grand-Bassam doubles its crossings"
    assert first.link == "https://lagoon-ledger.example.net/2026/03/04/ferry-crossings/"
    assert first.guid == "lagoon-2026-0304-ferry"
    assert first.author == "Awa Koné"
    assert "<p>The lagoon ferry now crosses twelve times a day.</p>" in first.content_html
    assert "Mr. Yao" in first.content_html
    assert "second boat" in first.summary_html
    assert "twelve times" not in first.summary_html


def test_rss_date_with_offset_becomes_aware_utc() -> None:
    first, second = parse_feed(RSS_WITH_CONTENT, FEED_URL).entries

    assert first.published_at == datetime(2026, 3, 4, 7, 30, tzinfo=UTC)
    assert first.published_at is not None and first.published_at.utcoffset() is not None
    assert second.published_at == datetime(2026, 3, 3, 7, 0, tzinfo=UTC)


def test_rss_without_content_encoded_has_no_full_content() -> None:
    second = parse_feed(RSS_WITH_CONTENT, FEED_URL).entries[1]

    assert second.content_html == ""
    assert second.summary_html == "Fish can now wait two days for the market."
    assert second.guid == "https://lagoon-ledger.example.net/?p=311"
    assert second.author is None


def test_rss_categories_are_trimmed_in_feed_order() -> None:
    first, second = parse_feed(RSS_WITH_CONTENT, FEED_URL).entries

    assert first.categories == ("Transport", "Economy")
    assert second.categories == ()


# Atom 1.0 -----------------------------------------------------------------------------------


def test_atom_html_content_is_unescaped_html() -> None:
    feed = parse_feed(ATOM_WITH_HTML_CONTENT, "https://highland-bulletin.example.net/feed.atom")

    assert feed.title == "Highland Bulletin"
    entry = feed.entries[0]
    assert entry.title == "Tea growers and the new auction rules"
    assert entry.guid == "tag:highland-bulletin.example.net,2026:0305"
    assert entry.link == "https://highland-bulletin.example.net/2026/03/05/tea-auction/"
    assert entry.author == "Wanjiru Mwangi"
    assert entry.categories == ("Agriculture", "Trade")
    assert entry.content_html.startswith("<p>Small tea growers may now sell")
    assert "&lt;p&gt;" not in entry.content_html
    assert "3.5%" in entry.content_html
    assert entry.summary_html == "Small growers can now sell directly at the weekly auction."


def test_atom_html_title_is_plain_text() -> None:
    # WordPress writes Atom titles as type="html" with character references inside CDATA;
    # FeedEntry.title is plain text (the renderer escapes it), so they must be decoded.
    data = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Highland Bulletin</title>
  <entry>
    <title type="html"><![CDATA[Growers &#038; buyers&#8217; <em>auction</em> rules]]></title>
    <link href="https://highland-bulletin.example.net/2026/03/05/tea-auction/"/>
    <id>tag:highland-bulletin.example.net,2026:0305</id>
    <updated>2026-03-05T09:00:00Z</updated>
  </entry>
</feed>
"""

    (entry,) = parse_feed(data, "https://highland-bulletin.example.net/feed.atom").entries

    assert entry.title == "Growers & buyers’ auction rules"


def test_atom_published_wins_over_updated_and_updated_is_the_fallback() -> None:
    first, second = parse_feed(
        ATOM_WITH_HTML_CONTENT, "https://highland-bulletin.example.net/f"
    ).entries

    assert first.published_at == datetime(2026, 3, 5, 5, 15, tzinfo=UTC)
    assert second.published_at == datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    assert second.content_html == ""


# Relative links -----------------------------------------------------------------------------


def test_relative_rss_links_resolve_against_an_http_feed_url() -> None:
    feed = parse_feed(RELATIVE_RSS, "http://127.0.0.1:8080/feeds/coast.xml")

    assert [e.link for e in feed.entries] == [
        "http://127.0.0.1:8080/pages/one.html",
        "http://127.0.0.1:8080/feeds/two.html",
        "http://127.0.0.1:8080/archive/three.html",
        "https://elsewhere.example.net/four",
    ]


def test_relative_rss_links_resolve_against_a_file_url(tmp_path: Path) -> None:
    feed_path = tmp_path / "site" / "feeds" / "coast.xml"
    feed = parse_feed(RELATIVE_RSS, feed_path.as_uri())

    site = (tmp_path / "site").as_uri()
    assert [e.link for e in feed.entries] == [
        f"{site}/pages/one.html",
        f"{site}/feeds/two.html",
        "file:///archive/three.html",
        "https://elsewhere.example.net/four",
    ]


@pytest.mark.parametrize(
    ("feed_url", "expected"),
    [
        ("https://news.example.net/feeds/all.atom", "https://news.example.net/pages/five.html"),
        ("file:///srv/site/feeds/all.atom", "file:///srv/site/pages/five.html"),
    ],
)
def test_relative_atom_links_resolve_against_the_feed_url(feed_url: str, expected: str) -> None:
    (entry,) = parse_feed(RELATIVE_ATOM, feed_url).entries

    assert entry.link == expected


# Entries with little in them ----------------------------------------------------------------


def test_rss_entries_without_guid_or_date() -> None:
    feed = parse_feed(NO_GUID_NO_DATE_RSS, "https://bare.example.net/feed")

    first, second = feed.entries
    assert first.guid is None
    assert first.published_at is None
    assert first.link == "https://bare.example.net/no-guid"
    assert first.title == "No guid, no date"
    assert first.categories == ()
    assert second.guid is None
    assert second.link is None
    assert second.title == ""
    assert second.summary_html == "Not even a title or a link."


def test_atom_entry_without_id_or_dates() -> None:
    (entry,) = parse_feed(NO_ID_NO_DATE_ATOM, "https://bare.example.net/feed.atom").entries

    assert entry.guid is None
    assert entry.published_at is None
    assert entry.link == "https://bare.example.net/atom-no-id"


def test_a_valid_feed_with_no_items_is_not_an_error() -> None:
    data = (
        b'<?xml version="1.0"?>'
        b'<rss version="2.0"><channel><title>Quiet week</title></channel></rss>'
    )

    feed = parse_feed(data, "https://quiet.example.net/feed")

    assert feed.title == "Quiet week"
    assert feed.entries == ()


# Refused input ------------------------------------------------------------------------------


def test_str_input_raises_type_error() -> None:
    with pytest.raises(TypeError):
        parse_feed(RSS_WITH_CONTENT.decode(), FEED_URL)  # type: ignore[arg-type]


def test_a_str_that_looks_like_a_path_is_never_opened(tmp_path: Path) -> None:
    # feedparser would read a file named by a str; parse_feed must refuse before that.
    target = tmp_path / "feed.xml"
    target.write_bytes(RSS_WITH_CONTENT)
    with pytest.raises(TypeError):
        parse_feed(str(target), FEED_URL)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"Service temporarily unavailable, try again later.\n", id="plain-text"),
        pytest.param(
            b"<!DOCTYPE html><html><head><title>Lagoon Ledger</title></head>"
            b"<body><h1>Welcome</h1><p>Read our latest stories on the front page.</p>"
            b"<a href='/feed/'>Feed</a></body></html>",
            id="html-page",
        ),
        pytest.param(b"", id="empty"),
    ],
)
def test_bytes_that_are_not_a_feed_raise_collect_error_naming_the_url(data: bytes) -> None:
    url = "https://lagoon-ledger.example.net/not-the-feed/"

    with pytest.raises(CollectError) as caught:
        parse_feed(data, url)

    assert url in str(caught.value)
    assert caught.value.hint


# Bundled samples ----------------------------------------------------------------------------

SAMPLE_TEASERS = {
    "northern-africa.xml": [
        "fes-andalusian-music-festival.html",
        "alexandria-shared-health-records.html",
        "morocco-senegal-hydrogen-memorandum.html",
    ],
    "west-africa.atom": [
        "segou-solar-irrigation-rice.html",
        "mano-river-health-surveillance.html",
        "dakar-coding-hub-mobile-payments.html",
    ],
}


@pytest.mark.parametrize("name", sorted(SAMPLE_TEASERS))
def test_bundled_sample_has_six_dated_entries_with_guid(name: str) -> None:
    path = SAMPLES / "feeds" / name

    feed = parse_feed(path.read_bytes(), path.as_uri())

    assert feed.title
    assert len(feed.entries) == 6
    assert all(e.guid for e in feed.entries)
    assert len({e.guid for e in feed.entries}) == 6
    assert all(e.title for e in feed.entries)
    assert all(e.categories for e in feed.entries)
    dates = [e.published_at for e in feed.entries]
    assert all(d is not None and d.tzinfo is not None for d in dates)
    assert dates == sorted(dates, reverse=True)  # type: ignore[type-var]


@pytest.mark.parametrize("name", sorted(SAMPLE_TEASERS))
def test_bundled_sample_teasers_resolve_to_bundled_pages_over_file_url(name: str) -> None:
    path = SAMPLES / "feeds" / name

    feed = parse_feed(path.read_bytes(), path.as_uri())

    teasers = [e for e in feed.entries if not e.content_html]
    full = [e for e in feed.entries if e.content_html]
    assert len(teasers) == 3
    assert len(full) == 3
    pages = (SAMPLES / "pages").resolve()
    expected = [(pages / page).as_uri() for page in SAMPLE_TEASERS[name]]
    assert [e.link for e in teasers] == expected
    for page in SAMPLE_TEASERS[name]:
        assert (pages / page).is_file()
    for entry in full:
        assert entry.link is not None and entry.link.startswith("https://")
        assert entry.content_html.startswith("<p>")


@pytest.mark.parametrize("name", sorted(SAMPLE_TEASERS))
def test_bundled_sample_teasers_resolve_to_pages_over_http(name: str) -> None:
    path = SAMPLES / "feeds" / name
    base = "http://127.0.0.1:8765"

    feed = parse_feed(path.read_bytes(), f"{base}/feeds/{name}")

    teaser_links = [e.link for e in feed.entries if not e.content_html]
    assert teaser_links == [f"{base}/pages/{page}" for page in SAMPLE_TEASERS[name]]


def test_bundled_rss_sample_details() -> None:
    path = SAMPLES / "feeds" / "northern-africa.xml"

    entries = parse_feed(path.read_bytes(), path.as_uri()).entries

    hydrogen = next(e for e in entries if e.guid == "maghreb-dispatch-2026-002")
    assert hydrogen.title == "Morocco and Senegal sign green hydrogen & power grid memorandum"
    assert hydrogen.categories == ("Global ties", "Energy")
    assert hydrogen.author == "Nadia El Amrani"
    assert hydrogen.published_at == datetime(2026, 11, 17, 9, 15, tzinfo=UTC)


def test_bundled_atom_sample_details() -> None:
    path = SAMPLES / "feeds" / "west-africa.atom"

    feed = parse_feed(path.read_bytes(), path.as_uri())

    assert feed.title == "Sahel & Coast Weekly — West Africa"
    lagos = feed.entries[1]
    assert lagos.guid == "tag:sahelcoast.example.org,2026:005"
    assert lagos.author == "Chidinma Okafor"
    assert lagos.categories == ("Culture", "Economy")
    assert lagos.content_html.startswith("<p>Indigo-dyed adire cloth")
    assert lagos.published_at == datetime(2026, 11, 20, 15, 30, tzinfo=UTC)
