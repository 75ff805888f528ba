"""Cross-site scripting, which holds: hostile text from a feed (an article's title, summary, image
alt, region, tags, links), from a failing source, from an editor (subject, introduction) and
from a reader (name, the address typed) is shown as text in every page and mail that shows it,
and runs nothing in a real browser.

Already covered elsewhere, not repeated here: an article's title, summary, tag and image alt in
the editor's preview frame, its issue page and the archive's web version, and the issue page
with its preview frames in Chromium (tests/web/test_hostile_content.py); a reader's name kept out
of the confirmation mail's headers (tests/web/readers/test_reader_pages.py::
test_a_name_reaches_the_body_of_the_mail_never_a_header).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx
import lxml.html
import pytest
from sqlalchemy import select

from digest import pipeline
from digest.models import Article, Source
from subscribers.models import MailingList, Subscriber
from subscribers.tokens import TokenSubject
from tests.browser import BrowserThread
from tests.servers import FixtureSMTPServer
from tests.web.conftest import (  # noqa: F401
    NOW,
    PASSWORD,
    PASSWORD_ENV,
    LiveApp,
    app,
    kofi_hash,
    rt,
    settings,
)
from tests.web.readers.rig import csrf_of, html_of, wait_for_mails
from tests.web.test_editor_in_browser import local_page, sign_in
from tests.web.test_hostile_content import assert_inert

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Dialog, Page

TITLE = 'Harbour <script>alert("title")</script>"><img src=x onerror="alert(1)">'
SUMMARY = 'In short: <a href="javascript:alert(2)">report</a> \'><svg onload=alert(3)>'
ALT = '"><script>alert(4)</script>'
REGION = '</title><script>alert(5)</script><b onclick="alert(6)">Coast</b>'
TAG = "' onmouseover='alert(7)' <script>alert(8)</script>"
SUBJECT = 'Week <script>alert(9)</script>"><img src=x onerror=alert(10)>'
INTRO = "Hello <img src=x onerror=alert(11)> <a href='javascript:alert(12)'>there</a>"
SOURCE_ERROR = "unexpected: <script>alert(13)</script><img src=x onerror=alert(14)>"
NAME = '"><script>alert(15)</script><img src=x onerror=alert(16)>'
TYPED = '"><script>alert(17)</script>@x'  # not an address: shown back in the form
READER = "awa@example.net"


@pytest.fixture
def hostile(rt: pipeline.Runtime) -> pipeline.IssueRef:  # noqa: F811
    """This week's issue with a hostile article, and a source whose last error is hostile."""
    with rt.sessions.begin() as session:
        session.add(
            Article(
                identity="guid:hostile-xss",
                url="javascript:alert(18)",
                title=TITLE,
                published_at=NOW - timedelta(days=1),
                collected_at=NOW - timedelta(hours=1),
                region=REGION,
                tags=[TAG],
                text="Plain text.",
                word_count=2,
                reading_minutes=1,
                summary=SUMMARY,
                # An image there is: its alt shows; the URL tries to break out of src="".
                image_url='https://images.example/p.jpg?"><script>alert(19)</script>',
                image_alt=ALT,
            )
        )
        source = session.scalars(select(Source)).first()
        assert source is not None
        source.last_error, source.consecutive_failures = SOURCE_ERROR, 3
    ref = pipeline.compose(rt, "weekly", NOW)
    assert ref is not None
    return ref


def inert(document: str, *, own_forms: bool = True) -> lxml.html.HtmlElement:
    return assert_inert(document, own_forms=own_forms)


def shown(tree: lxml.html.HtmlElement) -> str:
    """What the reader sees: the text, and the values of the form fields."""
    return tree.text_content() + " ".join(tree.xpath("//input/@value | //textarea/text()"))


def sign_up(app: LiveApp, email: str, name: str) -> httpx.Response:  # noqa: F811
    http = app.client()
    form = {
        "csrf_token": csrf_of(http.get("/subscribe").text),
        "email": email,
        "name": name,
        "lists": "weekly",
        "website": "",
    }
    return http.post("/subscribe", data=form)


def reader_token(rt: pipeline.Runtime, purpose: str) -> str:  # noqa: F811
    with rt.sessions() as session:
        reader = session.scalar(select(Subscriber.id).where(Subscriber.email == READER))
        weekly = session.scalar(select(MailingList.id).where(MailingList.slug == "weekly"))
    assert reader is not None and weekly is not None
    subject = TokenSubject(reader, weekly)
    if purpose == "confirm":
        return rt.signer.sign("confirm", subject, issued_at=NOW)
    return rt.signer.sign(purpose, subject)  # type: ignore[arg-type]


def delivered_html(smtp_server: FixtureSMTPServer, address: str) -> list[str]:
    return [html_of(m) for m in wait_for_mails(smtp_server, address)]


def test_hostile_text_shows_as_text_in_every_page_and_mail(
    app: LiveApp,  # noqa: F811
    rt: pipeline.Runtime,  # noqa: F811
    hostile: pipeline.IssueRef,
    smtp_server: FixtureSMTPServer,
) -> None:
    editor = app.editor()
    issue = f"/editor/issues/{hostile.id}"
    editor.get(issue)
    assert editor.post(f"{issue}/subject", {"subject": SUBJECT}).status_code == 303
    assert editor.post(f"{issue}/intro", {"intro": INTRO}).status_code == 303
    # A reader with a hostile name signs up (their mail), and one types markup as the address.
    assert sign_up(app, READER, NAME).status_code == 200
    reflected = sign_up(app, TYPED, NAME)
    assert reflected.status_code == 400
    [confirmation] = delivered_html(smtp_server, READER)

    pages = {
        "editor home": (editor.get("/editor").text, [SOURCE_ERROR, SUBJECT]),
        "editor issue page": (editor.get(issue).text, [TITLE, TAG, SUBJECT, INTRO]),
        "preview frame": (editor.get(f"{issue}/email.html").text, [TITLE, ALT, REGION, TAG]),
        "subscribe, shown back": (reflected.text, [NAME, TYPED]),
        "confirm page": (app.client().get(f"/confirm/{reader_token(rt, 'confirm')}").text, []),
        "preferences": (app.client().get(f"/p/{reader_token(rt, 'preferences')}").text, [NAME]),
        "unsubscribe page": (app.client().get(f"/u/{reader_token(rt, 'unsubscribe')}").text, []),
        "confirmation mail": (confirmation, [NAME]),
    }
    assert pipeline.send(rt, "weekly", NOW).sent >= 1
    [*_, digest] = delivered_html(smtp_server, "reader@example.org")
    pages["digest as delivered"] = (digest, [TITLE, ALT, REGION, TAG, INTRO])
    pages["archive list"] = (app.client().get("/archive/weekly").text, [SUBJECT])
    web_version = app.client().get(f"/archive/weekly/{hostile.number}").text
    pages["archive web version"] = (web_version, [TITLE, ALT, REGION, TAG, INTRO])

    missing = {}
    for page, (document, expected) in pages.items():
        mail = page in ("preview frame", "confirmation mail", "digest as delivered")
        tree = inert(document, own_forms=not mail and "archive web" not in page)
        text = shown(tree) + " ".join(tree.xpath("//img/@alt"))
        absent = [value for value in expected if value not in text]
        if absent:
            missing[page] = absent
    assert missing == {}, "hostile text not shown as text (so probably not escaped)"


def test_hostile_text_runs_nothing_in_the_browser(
    browser: BrowserThread,
    app: LiveApp,  # noqa: F811
    rt: pipeline.Runtime,  # noqa: F811
    hostile: pipeline.IssueRef,
    smtp_server: FixtureSMTPServer,
) -> None:
    editor = app.editor()
    issue = f"/editor/issues/{hostile.id}"
    editor.get(issue)
    assert editor.post(f"{issue}/subject", {"subject": SUBJECT}).status_code == 303
    assert sign_up(app, READER, NAME).status_code == 200
    wait_for_mails(smtp_server, READER)  # the reader is stored after the page answered
    assert pipeline.send(rt, "weekly", NOW).sent >= 1
    preferences = f"{app.url}/p/{reader_token(rt, 'preferences')}"
    reader_pages = {
        "archive list": f"{app.url}/archive/weekly",
        "archive web version": f"{app.url}/archive/weekly/{hostile.number}",
        "preferences": preferences,
    }

    def visit(b: Browser) -> dict[str, Any]:
        seen: dict[str, Any] = {"dialogs": [], "errors": [], "titles": {}}
        with local_page(b) as page:
            watch(page, seen)
            for name, url in reader_pages.items():
                page.goto(url)
                page.wait_for_load_state("load")
                seen["titles"][name] = page.title()
            seen["name field"] = page.get_by_label("Your name").input_value()
            page.goto(f"{app.url}/subscribe")
            page.get_by_label("Email address").fill(TYPED)
            page.get_by_label("Your name (optional)").fill(NAME)
            page.get_by_label("The Weekly").check()
            # The browser's own check of type=email would stop the form: send it regardless.
            page.locator("form").first.evaluate("f => f.noValidate = true")
            with page.expect_navigation():
                page.get_by_role("button", name="Subscribe").click()
            seen["shown back"] = page.get_by_label("Your name (optional)").input_value()
        with local_page(b) as page:
            watch(page, seen)
            sign_in(page, app)
            page.goto(f"{app.url}/editor")
            page.wait_for_load_state("load")
            seen["home"] = page.locator("main").inner_text()
        return seen

    seen = browser.run(visit)

    assert seen["dialogs"] == [] and seen["errors"] == []
    assert seen["name field"] == NAME and seen["shown back"] == NAME
    assert SOURCE_ERROR in seen["home"]


def watch(page: Page, seen: dict[str, Any]) -> None:
    def refuse(dialog: Dialog) -> None:
        seen["dialogs"].append(dialog.message)
        dialog.dismiss()

    page.on("dialog", refuse)
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
