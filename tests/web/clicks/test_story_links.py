"""Counted story links: a sent issue's links redirect to their article and count per story,
with no one's identity unless analytics.per_reader; tampered links, scanners and HEAD don't."""

from __future__ import annotations

import re
import socket
from collections import Counter

import pytest
from sqlalchemy import inspect, select

from subscribers.models import Subscriber
from subscribers.tokens import TokenSigner
from tests.servers import FixtureSMTPServer
from tests.web.clicks.rig import READERS, MakeSettings, sent_issue

AMINA, KOFI = READERS


def test_a_mails_story_links_land_on_the_article_and_count_once_per_reader_and_story(
    click_settings: MakeSettings, app_socket: socket.socket, smtp_server: FixtureSMTPServer
) -> None:
    with sent_issue(click_settings(), app_socket, smtp_server) as rig:
        links = rig.links(AMINA)
        assert len(links) >= 6  # every story with a link, title and read link share one
        assert all("/c/m/" in link for link in links)
        # The links name no one: every reader's mail carries the same ones.
        assert rig.links(KOFI) == links == rig.links("reader@example.org")
        for link in links:
            assert rig.article_url(link) not in rig.mails[AMINA]  # no raw article link left

        first, second, third = links[:3]
        for link, agent in ((first, "amina"), (first, "kofi"), (second, "kofi")):
            answer = rig.follow(link, agent)
            assert answer.status_code == 302, answer.text[:300]
            assert answer.headers["location"] == rig.article_url(link)
            assert "set-cookie" not in answer.headers
            assert answer.headers["cache-control"] == "no-store"
        assert rig.follow(first, "amina").status_code == 302  # the same reader again: once
        assert rig.follow(third, "amina", method="HEAD").status_code == 302  # a link checker

        counts = rig.counts()
        assert counts[rig.story(first)[1]] == 2
        assert counts[rig.story(second)[1]] == 1
        assert counts[rig.story(third)[1]] == 0
        assert sum(counts.values()) == 3
        stories = {s.article_id: s for s in rig.stories()}
        assert stories[rig.story(first)[1]].per_100 == round(100 * 2 / 3, 1)  # 3 delivered
        # Nothing about who clicked is kept: the count table holds ids and a number.
        with rig.rt.sessions() as session:
            columns = {c["name"] for c in inspect(session.get_bind()).get_columns("story_clicks")}
        assert columns == {"issue_id", "article_id", "clicks"}
        assert rig.reader_clicks() == []


def test_a_tampered_foreign_or_unknown_link_is_a_404_and_counts_nothing(
    click_settings: MakeSettings, app_socket: socket.socket, smtp_server: FixtureSMTPServer
) -> None:
    with sent_issue(click_settings(), app_socket, smtp_server) as rig:
        link = rig.links(AMINA)[0]
        base, _, token = link.rpartition("/")
        issue_id, article_id = rig.story(link)
        ours = rig.rt.signer.clicks
        theirs = TokenSigner("someone-elses-secret").clicks
        not_in_issue = max(rig.counts()) + 1000
        bad = [
            f"{base}/{token[:-2]}{'AA' if not token.endswith('AA') else 'BB'}",  # signature
            f"{base}/{token.replace(f'{issue_id}-', f'{issue_id + 1}-', 1)}",  # another issue
            f"{base}/{theirs.story_token(issue_id, article_id)}",  # another install's
            f"{base}/{ours.story_token(issue_id, not_in_issue)}",  # genuine, not in the issue
            f"{base}/{ours.story_token(issue_id + 7, article_id)}",  # genuine, no such issue
            link.replace("/c/m/", "/c/42.bogus/"),  # a forged reader's part
            link.replace("/c/m/", f"/c/{ours.reader_token(issue_id + 1, 5)}/"),  # another issue's
            f"{base}/",
            f"{base}/{token}/more",
        ]
        for url in bad:
            answer = rig.follow(url)
            assert answer.status_code == 404, url
            assert "location" not in answer.headers
        assert sum(rig.counts().values()) == 0


def test_a_scanner_following_every_link_at_once_is_not_counted(
    click_settings: MakeSettings, app_socket: socket.socket, smtp_server: FixtureSMTPServer
) -> None:
    with sent_issue(click_settings(), app_socket, smtp_server) as rig:
        links = rig.links(AMINA)
        # A security gateway opens each link of the message, some twice, within seconds.
        for link in links + links[:2]:
            assert rig.follow(link, "SafeLinks/1.0").status_code == 302
        assert sum(rig.counts().values()) == 0
        # Readers at the same time are counted.
        rig.follow(links[0], "amina")
        rig.follow(links[1], "kofi")
        assert sum(rig.counts().values()) == 2
        metrics = rig.follow(rig.app.url + "/metrics").text
        assert _sample(metrics, 'digest_story_links_followed_total{outcome="scanner"}') == 3
        assert _sample(metrics, 'digest_story_links_followed_total{outcome="counted"}') >= 2
        assert _sample(metrics, "digest_story_clicks_taken_back_total") >= len(links) - 1
        assert _sample(metrics, "digest_story_clicks_total") == 2


def test_a_scanner_opening_a_mail_of_fewer_stories_than_the_issue_is_caught(
    click_settings: MakeSettings, app_socket: socket.socket, smtp_server: FixtureSMTPServer
) -> None:
    """A reader who chose topics gets some of the issue's stories: their links say so."""
    topics = {KOFI: ["West Africa"]}
    with sent_issue(click_settings(), app_socket, smtp_server, topics) as rig:
        kofi, amina = rig.links(KOFI), rig.links(AMINA)
        assert 2 <= len(kofi) < len(amina)
        for link in kofi:
            assert rig.follow(link, "gateway").status_code == 302
        assert sum(rig.counts().values()) == 0
        # A reader following as many of the whole issue's stories is a reader.
        for link in amina[: len(kofi)]:
            assert rig.follow(link, "amina").status_code == 302
        assert sum(rig.counts().values()) == len(kofi)


def test_per_reader_records_who_clicked_only_when_on(
    click_settings: MakeSettings, app_socket: socket.socket, smtp_server: FixtureSMTPServer
) -> None:
    with sent_issue(click_settings({"per_reader": True}), app_socket, smtp_server) as rig:
        amina, kofi = rig.links(AMINA), rig.links(KOFI)
        assert len(amina) == len(kofi) and set(amina).isdisjoint(kofi)  # each their own
        assert [rig.story(a) for a in amina] == [rig.story(k) for k in kofi]
        assert rig.follow(amina[0], "amina").status_code == 302
        assert rig.follow(kofi[0], "kofi").status_code == 302
        assert rig.follow(kofi[1], "kofi").status_code == 302
        with rig.rt.sessions() as session:
            ids = {e: i for e, i in session.execute(select(Subscriber.email, Subscriber.id))}
        first, second = rig.story(amina[0])[1], rig.story(amina[1])[1]
        assert rig.reader_clicks() == sorted(
            [(first, ids[AMINA], 1), (first, ids[KOFI], 1), (second, ids[KOFI], 1)]
        )
        assert rig.counts()[first] == 2


def test_the_web_version_counts_and_previews_do_not(
    click_settings: MakeSettings, app_socket: socket.socket, smtp_server: FixtureSMTPServer
) -> None:
    with sent_issue(click_settings(), app_socket, smtp_server) as rig:
        page = rig.follow(f"{rig.app.url}/archive/weekly/{rig.issue.number}").text
        web_links = list(dict.fromkeys(re.findall(r'href="([^"]+/c/w/[^"]+)"', page)))
        assert [rig.story(link) for link in web_links] == [
            rig.story(link) for link in rig.links(AMINA)
        ]
        assert rig.follow(web_links[0], "visitor").status_code == 302
        preview = web_links[1].replace("/c/w/", "/c/p/")
        answer = rig.follow(preview, "editor")
        assert answer.status_code == 302 and answer.headers["location"] == rig.article_url(preview)
        counts = rig.counts()
        assert counts[rig.story(web_links[0])[1]] == 1
        assert counts[rig.story(web_links[1])[1]] == 0


def test_utm_parameters_are_added_to_the_article_link(
    click_settings: MakeSettings, app_socket: socket.socket, smtp_server: FixtureSMTPServer
) -> None:
    settings = click_settings({"utm": {"source": "newsletter", "campaign": "{list}-{number}"}})
    with sent_issue(settings, app_socket, smtp_server) as rig:
        link = rig.links(AMINA)[0]
        location = rig.follow(link).headers["location"]
        assert location == (
            f"{rig.article_url(link)}?utm_source=newsletter&utm_medium=email"
            f"&utm_campaign=weekly-{rig.issue.number}"
        )


@pytest.mark.parametrize(
    ("analytics", "list_options"),
    [({"enabled": False}, {}), ({}, {"clicks": False})],
    ids=["analytics-off", "list-off"],
)
def test_with_counting_off_the_mails_carry_the_raw_article_links(
    click_settings: MakeSettings,
    app_socket: socket.socket,
    smtp_server: FixtureSMTPServer,
    analytics: dict[str, object],
    list_options: dict[str, object],
) -> None:
    with sent_issue(click_settings(analytics, **list_options), app_socket, smtp_server) as rig:
        html = rig.mails[AMINA]
        assert "/c/" not in html
        hrefs = Counter(re.findall(r'href="([^"]+)"', html))
        stories = rig.stories()
        assert len(stories) >= 6
        # Each story's title links to its article; the lead's read link too, and no other.
        assert sorted(hrefs[story.url] for story in stories) == [1] * (len(stories) - 1) + [2]


def _sample(metrics: str, name: str) -> float:
    for line in metrics.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{name} not in /metrics")
