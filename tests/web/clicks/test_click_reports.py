"""What editors and readers see of the clicks: the issue's page, `digest status --issue`, the
most read of last week in the next issue, the reader's preferences page and data export."""

from __future__ import annotations

import json
import re
import socket
from datetime import timedelta

from digest import pipeline
from digest.models import Issue, IssueArticle
from tests.cli_runner import run_digest
from tests.servers import FixtureSMTPServer
from tests.web.clicks.rig import READERS, MakeSettings, Rig, sent_issue

AMINA, KOFI = READERS


def _click(rig: Rig, clicks: dict[int, int]) -> list[str]:
    """Follow the story at each index this many times, each from another client."""
    links = rig.links(AMINA)
    for index, times in clicks.items():
        for n in range(times):
            assert rig.follow(links[index], f"reader-{index}-{n}").status_code == 302
    return links


def test_the_sent_issues_page_and_status_show_each_storys_clicks(
    click_settings: MakeSettings, app_socket: socket.socket, smtp_server: FixtureSMTPServer
) -> None:
    settings = click_settings()
    with sent_issue(settings, app_socket, smtp_server) as rig:
        links = _click(rig, {0: 2, 2: 1})
        counted = {s.article_id: s for s in rig.stories()}
        first, third = rig.story(links[0])[1], rig.story(links[2])[1]

        page = rig.app.editor().get(f"/editor/issues/{rig.issue.id}").text
        item = re.search(rf'<li id="article-{first}">(.*?)</li>', page, re.S)
        assert item and "2 clicks · 66.7 per 100 delivered" in item.group(1)
        item = re.search(rf'<li id="article-{third}">(.*?)</li>', page, re.S)
        assert item and "1 click · 33.3 per 100 delivered" in item.group(1)

        shown = run_digest(
            ["--config", str(settings.config_path), "status", "--issue", str(rig.issue.number)],
            cwd=settings.config_path.parent,
            env={"COLUMNS": "200"},
        )
        assert shown.returncode == 0, shown.stderr
        rows = [line for line in shown.stdout.splitlines() if re.match(r"^\W*\d+\s", line)]
        assert len(rows) == len(counted)
        clicks = [int(re.findall(r"\d+", row.split("│")[-3])[0]) for row in rows]
        assert clicks == [s.clicks for s in rig.stories()]
        assert "3 delivered" in shown.stdout and "66.7" in shown.stdout

        missing = run_digest(
            ["--config", str(settings.config_path), "status", "--issue", "99"],
            cwd=settings.config_path.parent,
        )
        assert missing.returncode == 1
        assert "no issue #99 of 'weekly'" in missing.stdout + missing.stderr


def test_the_next_issue_shows_last_weeks_most_read_stories(
    click_settings: MakeSettings, app_socket: socket.socket, smtp_server: FixtureSMTPServer
) -> None:
    with sent_issue(click_settings(most_read=2), app_socket, smtp_server) as rig:
        links = _click(rig, {3: 1, 1: 3, 4: 2})
        titles = {s.article_id: s.title for s in rig.stories()}
        with rig.rt.sessions.begin() as session:
            sent = session.get(Issue, rig.issue.id)
            assert sent is not None
            following = Issue(
                list_id=sent.list_id,
                number=sent.number + 1,
                period_start=sent.period_end,
                period_end=sent.period_end + timedelta(days=7),
                subject="Next week",
            )
            session.add(following)
            session.flush()
            session.add(
                IssueArticle(issue_id=following.id, article_id=rig.story(links[0])[1], position=0)
            )
            following_id = following.id
        rendered = pipeline.render(rig.rt, following_id)
        top = [titles[rig.story(links[i])[1]] for i in (1, 4)]
        section = rendered.text.split("== MOST READ LAST WEEK ==")[1]
        assert section.index(top[0]) < section.index(top[1])
        assert titles[rig.story(links[3])[1]] not in section  # only the top two
        assert "MOST READ LAST WEEK" in rendered.html and top[0] in rendered.html
        assert "MOST READ LAST WEEK" not in pipeline.render(rig.rt, rig.issue.id).text


def test_readers_are_told_whether_their_clicks_are_recorded_and_get_them_in_their_data(
    click_settings: MakeSettings, app_socket: socket.socket, smtp_server: FixtureSMTPServer
) -> None:
    with sent_issue(click_settings({"per_reader": True}), app_socket, smtp_server) as rig:
        assert rig.follow(rig.links(AMINA)[0], "amina").status_code == 302
        preferences = re.search(r'href="([^"]+/p/[^"]+)"', rig.mails[AMINA])
        assert preferences
        http = rig.app.anonymous()
        page = http.get(preferences.group(1).replace("&amp;", "&"))
        assert page.status_code == 200
        assert "The stories you open from our emails are recorded as yours" in page.text
        exported = http.post(preferences.group(1) + "/export")
        assert exported.status_code == 200, exported.text[:300]
        clicks = json.loads(exported.text)["story_clicks"]
        assert clicks == [
            {
                "list": "weekly",
                "issue": rig.issue.number,
                "story": rig.article_url(rig.links(AMINA)[0]),
                "clicks": 1,
            }
        ]


def test_without_per_reader_the_preferences_page_says_no_one_is_recorded(
    click_settings: MakeSettings, app_socket: socket.socket, smtp_server: FixtureSMTPServer
) -> None:
    with sent_issue(click_settings(), app_socket, smtp_server) as rig:
        preferences = re.search(r'href="([^"]+/p/[^"]+)"', rig.mails[AMINA])
        assert preferences
        page = rig.app.anonymous().get(preferences.group(1)).text
        assert "never who opens it" in page and "recorded as yours" not in page
