"""A sent issue whose story links are counted, and the app that counts them, served on the
newsletter's base URL (127.0.0.1), with its articles served by the fixture HTTP server."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
from sqlalchemy import select, update

from digest import pipeline
from digest.config import Settings
from digest.models import Article, ReaderClick
from digest.pipeline.clicks import StoryCount, issue_clicks
from digest.web import create_app
from subscribers import membership
from subscribers.models import Subscriber
from tests.servers import FixtureSMTPServer
from tests.web.conftest import NOW, PASSWORD, PASSWORD_ENV, LiveApp, serving

READERS = ("amina.k@example.net", "kofi.m@example.org")


@dataclass
class Rig:
    rt: pipeline.Runtime
    app: LiveApp
    issue: pipeline.IssueRef
    mails: dict[str, str]  # each reader's address -> the HTML part they received

    def links(self, reader: str) -> list[str]:
        """The counted story links of a reader's mail, once each, in order."""
        found = re.findall(rf'href="({re.escape(self.app.url)}/c/[^"]+)"', self.mails[reader])
        return list(dict.fromkeys(found))

    def story(self, link: str) -> tuple[int, int]:
        named = self.rt.signer.clicks.story_of(link.rpartition("/")[2])
        assert named is not None
        return named.issue_id, named.article_id

    def article_url(self, link: str) -> str:
        with self.rt.sessions() as session:
            return session.scalars(
                select(Article.url).where(Article.id == self.story(link)[1])
            ).one()

    def counts(self) -> dict[int, int]:
        """Clicks per article of the issue (every story, 0 included)."""
        counted = issue_clicks(self.rt, "weekly", self.issue.number)
        return {s.article_id: s.clicks for s in counted.stories}

    def stories(self) -> list[StoryCount]:
        return issue_clicks(self.rt, "weekly", self.issue.number).stories

    def reader_clicks(self) -> list[tuple[int, int, int]]:
        with self.rt.sessions() as session:
            rows = session.execute(
                select(ReaderClick.article_id, ReaderClick.subscriber_id, ReaderClick.clicks)
            )
            return sorted((a, s, n) for a, s, n in rows)

    def follow(self, link: str, agent: str = "reader", method: str = "GET") -> httpx.Response:
        with httpx.Client(follow_redirects=False, timeout=30) as http:
            return http.request(method, link, headers={"User-Agent": agent})


MakeSettings = Callable[..., Settings]


@contextmanager
def sent_issue(
    settings: Settings,
    app_socket: socket.socket,
    smtp_server: FixtureSMTPServer,
    topics: dict[str, list[str]] | None = None,
) -> Iterator[Rig]:
    """This week's issue sent to the demo reader and READERS (with these topics, if given),
    and the app serving."""
    with pipeline.runtime(settings, NOW) as rt:
        assert pipeline.collect(rt, NOW).new_articles >= 12
        ref = pipeline.compose(rt, "weekly", NOW)
        assert ref is not None
        with rt.sessions.begin() as session:
            weekly = membership.get_list(session, "weekly")
            for address in READERS:
                membership.add_subscriber(session, weekly, address, name=None, now=NOW)
            for address, chosen in (topics or {}).items():
                session.execute(
                    update(Subscriber).where(Subscriber.email == address).values(topics=chosen)
                )
        assert pipeline.send(rt, "weekly", NOW).sent == 1 + len(READERS)
        mails = {
            str(mail["To"]): mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
            for mail in smtp_server.handler.parsed()
        }
        with serving(
            create_app(settings, clock=lambda: NOW, environ={PASSWORD_ENV: PASSWORD}), app_socket
        ) as live:
            yield Rig(rt, live, ref, mails)
