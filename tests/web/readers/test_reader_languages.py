"""A list's language on its reader's way in and out, over real HTTP: an Arabic list's
confirmation mail, confirm page, welcome, digest, unsubscribe and preferences pages right to
left and in Arabic; a French list's sign-up page and archive in French."""

from __future__ import annotations

import re

import pytest

from digest import pipeline
from tests.servers import FixtureSMTPServer
from tests.web.conftest import NOW, LiveApp
from tests.web.readers.rig import confirm_link, csrf_of, html_of, text_of, wait_for_mails
from tests.web.readers.test_reader_pages import path_of, subscribe

NEW = "new.reader@example.net"
ARABIC_PAGE = '<html lang="ar" dir="rtl">'


@pytest.fixture
def list_overrides() -> dict[str, dict[str, object]]:
    return {"weekly": {"language": "ar"}, "culture": {"language": "fr"}}


def test_an_arabic_lists_reader_is_answered_in_arabic_right_to_left(
    app: LiveApp, rt: pipeline.Runtime, smtp_server: FixtureSMTPServer
) -> None:
    answer = subscribe(app, NEW, lists=("weekly",))
    assert answer.status_code == 200
    assert ARABIC_PAGE in answer.text and "تفقّد بريدك الوارد" in answer.text
    [mail] = wait_for_mails(smtp_server, NEW)
    assert mail["Subject"] == "يرجى تأكيد اشتراكك في Coast Digest"
    assert '<html lang="ar" dir="rtl"' in html_of(mail)
    assert "تأكيد اشتراكي" in html_of(mail)
    assert text_of(mail).startswith("\u200fCoast Digest")

    http = app.client()
    link = path_of(confirm_link(mail))
    page = http.get(link)
    assert ARABIC_PAGE in page.text and "نعم، اشتركني" in page.text
    confirmed = http.post(link, data={"csrf_token": csrf_of(page.text)})
    assert ARABIC_PAGE in confirmed.text and "أنت مشترك الآن" in confirmed.text
    [_, welcome] = wait_for_mails(smtp_server, NEW, count=2)
    assert welcome["Subject"] == "مرحبًا بك في The Weekly"
    assert '<html lang="ar" dir="rtl"' in html_of(welcome)

    preferences = re.search(r'href="(/p/[^"]+)"', confirmed.text)
    assert preferences is not None
    page = http.get(preferences.group(1))
    assert ARABIC_PAGE in page.text and "حفظ تفضيلاتي" in page.text

    assert pipeline.send(rt, "weekly", NOW).sent == 2
    [digest] = [m for m in wait_for_mails(smtp_server, NEW, count=3) if m["List-Id"]][-1:]
    assert '<html lang="ar" dir="rtl"' in html_of(digest)
    unsubscribe = digest["List-Unsubscribe"].split(",")[0].strip().strip("<>")
    page = http.get(path_of(unsubscribe))
    assert ARABIC_PAGE in page.text and "هل تريد التوقف عن تلقي The Weekly؟" in page.text
    left = http.post(path_of(unsubscribe), data={"List-Unsubscribe": "One-Click"})
    assert ARABIC_PAGE in left.text and "تم إلغاء اشتراكك" in left.text
    assert "لا وقت لدي لقراءتها" in left.text


def test_a_french_lists_sign_up_page_and_archive_speak_french(app: LiveApp) -> None:
    http = app.client()
    page = http.get("/subscribe?list=culture")
    assert '<html lang="fr" dir="ltr">' in page.text
    assert "Adresse électronique" in page.text and "S’abonner" in page.text
    # Lists of different languages and none asked for: the templates' English.
    assert '<html lang="en" dir="ltr">' in http.get("/subscribe").text
    archive = http.get("/archive/culture")
    assert '<html lang="fr" dir="ltr">' in archive.text
    assert "Culture Notes : numéros parus" in archive.text
    assert "Aucun numéro n’est encore paru." in archive.text
