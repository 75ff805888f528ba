"""The welcome mail: once per confirmation (never for a second click, nor two clicks at once),
per list and only where the list wants it, linking the latest issue, with the list headers
of a digest, in the list's language."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from digest import pipeline
from digest.packaged_files import packaged_templates
from digest.render.email import EmailRenderer, WelcomeView
from tests.servers import FixtureSMTPServer
from tests.web.conftest import NOW, LiveApp
from tests.web.readers import rig
from tests.web.readers.test_reader_pages import path_of, subscribe

READER = "welcome.me@example.net"


@pytest.fixture
def list_overrides() -> dict[str, dict[str, object]]:
    return {"culture": {"welcome": False}}


def confirm(app: LiveApp, link: str) -> tuple[int, str]:
    http = app.client()
    page = http.get(path_of(link))
    done = http.post(path_of(link), data={"csrf_token": rig.csrf_of(page.text)})
    return done.status_code, done.text


def test_confirming_sends_one_welcome_linking_the_latest_issue_with_list_headers(
    app: LiveApp, rt: pipeline.Runtime, smtp_server: FixtureSMTPServer
) -> None:
    sent = pipeline.send(rt, "weekly", NOW)
    assert sent.issue is not None
    subscribe(app, READER, lists=("weekly", "culture"), name="Awa")
    [confirmation] = rig.wait_for_mails(smtp_server, READER)
    link = rig.confirm_link(confirmation)

    assert confirm(app, link)[0] == 200
    [_, welcome] = rig.wait_for_mails(smtp_server, READER, 2)
    again = confirm(app, link)  # a second click: already confirmed, no second welcome

    assert "Already confirmed" in again[1]
    rig.settle(smtp_server)
    assert (
        len(rig.mails_to(smtp_server, READER)) == 2
    )  # the confirmation, one welcome: none for culture
    assert welcome["Subject"] == "Welcome to The Weekly"
    assert welcome["List-Id"] == "The Weekly <weekly.127.0.0.1>"
    assert welcome["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    one_click = welcome["List-Unsubscribe"].split(",")[0].strip().strip("<>")
    assert one_click.startswith(app.url + "/u/")
    latest = f"{app.url}/archive/weekly/{sent.issue.number}"
    assert latest in rig.text_of(welcome) and f'href="{latest}"' in rig.html_of(welcome)
    # (the subject, the lead's title, is long: the text part may wrap it)
    assert sent.issue.subject in " ".join(rig.text_of(welcome).split())
    assert "Hello Awa," in rig.text_of(welcome)
    assert '<html lang="en"' in rig.html_of(welcome)
    assert f'href="{one_click}"' in rig.html_of(welcome)
    assert "%%DIGEST" not in rig.html_of(welcome) + rig.text_of(welcome)

    answer = app.client().post(path_of(one_click), content=b"List-Unsubscribe=One-Click")
    assert answer.status_code == 200 and "You are unsubscribed" in answer.text


def test_two_clicks_at_once_welcome_once(
    app: LiveApp, rt: pipeline.Runtime, smtp_server: FixtureSMTPServer
) -> None:
    subscribe(app, READER)
    link = rig.confirm_link(rig.wait_for_mails(smtp_server, READER)[0])
    pages = []
    for _ in range(4):
        http = app.client()
        pages.append((http, rig.csrf_of(http.get(path_of(link)).text)))

    with ThreadPoolExecutor(4) as pool:
        answers = list(
            pool.map(lambda p: p[0].post(path_of(link), data={"csrf_token": p[1]}), pages)
        )

    assert [a.status_code for a in answers] == [200] * 4
    assert sum("You are subscribed" in a.text for a in answers) == 1
    rig.wait_for_mails(smtp_server, READER, 2)
    rig.settle(smtp_server)
    subjects = [m["Subject"] for m in rig.mails_to(smtp_server, READER)]
    assert subjects.count("Welcome to The Weekly") == 1


def test_a_list_with_welcome_off_sends_none(
    app: LiveApp, rt: pipeline.Runtime, smtp_server: FixtureSMTPServer
) -> None:
    subscribe(app, READER, lists=("culture",))
    link = rig.confirm_link(rig.wait_for_mails(smtp_server, READER)[0])

    assert "You are subscribed" in confirm(app, link)[1]
    rig.settle(smtp_server)
    assert len(rig.mails_to(smtp_server, READER)) == 1  # the confirmation alone


def test_the_welcome_speaks_the_lists_language(tmp_path: Path) -> None:
    renderer = EmailRenderer(tmp_path, packaged_templates())

    def view(language: str) -> WelcomeView:
        return WelcomeView(
            "Coast Digest",
            "L'Hebdo",
            language,
            None,
            "https://x.example/archive/l",
            None,
            None,
            "1 Rue",
            "Bienvenue",
        )

    french = renderer.render_welcome(view("fr-CA"))
    english = renderer.render_welcome(view("en"))

    # fr-CA has no catalogue of its own: the French one (templates/locales/fr) says it.
    assert "Bienvenue dans L'Hebdo : votre abonnement est confirmé" in french.text
    assert '<html lang="fr-CA" dir="ltr"' in french.html and "L&#39;Hebdo" in french.html
    assert "Welcome to L'Hebdo" in english.text
