"""Words the reader's pages make in code, in the list's language over real HTTP: form errors,
the rate limit, an expired link, the undo and "too late", refusals; and every reader page of a
French and of an Arabic list swept for English chrome left in it."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from babel.messages.pofile import read_po

from digest import pipeline
from digest.config_sections import ReaderSettings
from subscribers.consent import consent_history
from subscribers.reader_input import topics_on_offer
from subscribers.reader_page import DEFAULT_CONSENT
from subscribers.tokens import TokenSubject
from tests.servers import FixtureSMTPServer
from tests.web.conftest import NOW, LiveApp
from tests.web.readers import rig
from tests.web.readers.test_leaving import ONE_CLICK, URLENCODED, left_token, unsubscribe_path
from tests.web.readers.test_reader_pages import list_id, path_of, subscribe, subscriber_id

ROOT = Path(__file__).resolve().parents[3]
LOCALES = ROOT / "templates" / "locales"
NEW = "new.reader@example.net"
ENGLISH_ONLY = {"the", "The", "your", "Your", "you", "You", "this", "This", "and", "with", "is"}
FRENCH_PAGE = '<html lang="fr" dir="ltr">'
ARABIC_PAGE = '<html lang="ar" dir="rtl">'


@pytest.fixture
def list_overrides() -> dict[str, dict[str, object]]:
    return {"weekly": {"language": "fr"}, "culture": {"language": "ar"}}


@pytest.fixture
def reader_overrides() -> dict[str, object]:
    return {"undo_unsubscribe_hours": 2, "subscribe_per_ip": 2}


def test_a_french_lists_sign_up_errors_are_french(app: LiveApp) -> None:
    bad_address = subscribe(app, "not an address", lists=("weekly",))
    assert bad_address.status_code == 400 and FRENCH_PAGE in bad_address.text
    assert "Saisissez une adresse électronique telle que reader@example.org." in bad_address.text
    assert "Enter an email address" not in bad_address.text

    forged = subscribe(app, NEW, lists=("weekly",), topics=("Atlantis",))
    assert forged.status_code == 400 and FRENCH_PAGE in forged.text
    assert "Choisissez parmi les sujets proposés." in forged.text

    stale = subscribe(app, NEW, lists=("weekly",), extra={"csrf_token": "stale"})
    assert stale.status_code == 403 and FRENCH_PAGE in stale.text
    assert "Refusé : ce formulaire a expiré" in stale.text


def test_the_rate_limit_speaks_the_lists_language(app: LiveApp) -> None:
    answers = [subscribe(app, f"r{n}@example.net", lists=("culture",)) for n in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert ARABIC_PAGE in answers[2].text
    assert "محاولات كثيرة جدًا" in answers[2].text and "Too many" not in answers[2].text


def test_an_arabic_lists_expired_confirmation_link_is_arabic_right_to_left(
    app: LiveApp, rt: pipeline.Runtime
) -> None:
    subject = TokenSubject(subscriber_id(rt, "reader@example.org"), list_id(rt, "culture"))
    old = rt.signer.sign("confirm", subject, issued_at=NOW - timedelta(days=30))
    page = app.client().get(f"/confirm/{old}")
    assert page.status_code == 400 and ARABIC_PAGE in page.text
    assert "رابط التأكيد هذا غير صالح أو انتهت صلاحيته" in page.text
    assert "This confirmation link" not in page.text
    # A link that is not ours names no list: the language all lists share, here none (English).
    forged = app.client().get("/confirm/" + old[:-4] + "AAAA")
    assert forged.status_code == 400 and '<html lang="en" dir="ltr">' in forged.text


def test_undo_and_too_late_are_french_with_the_lists_name_escaped_in(
    app: LiveApp, rt: pipeline.Runtime, clock: rig.MovableClock
) -> None:
    path = unsubscribe_path(rt)
    with httpx.Client(base_url=app.url, timeout=30) as client:
        left = left_token(client.post(path, content=ONE_CLICK, headers=URLENCODED).text)
        undone = client.post(path + "/undo", data={"left": left})
        assert undone.status_code == 200 and FRENCH_PAGE in undone.text
        assert "Vous êtes de nouveau abonné" in undone.text
        assert "The Weekly vous sera de nouveau envoyé, comme avant" in undone.text

        left = left_token(client.post(path, content=ONE_CLICK, headers=URLENCODED).text)
        clock.at = NOW + timedelta(hours=2, seconds=1)
        late = client.post(path + "/undo", data={"left": left})
        assert late.status_code == 400 and FRENCH_PAGE in late.text
        assert "Trop tard" in late.text and "il y a plus de 2 heures" in late.text
        assert "Too late" not in late.text


def test_a_french_readers_preferences_notice_and_errors_are_french(
    app: LiveApp, rt: pipeline.Runtime
) -> None:
    subject = TokenSubject(subscriber_id(rt, "reader@example.org"), list_id(rt, "weekly"))
    path = "/p/" + rt.signer.sign("preferences", subject)
    http = app.client()
    page = http.get(path)
    refused = http.post(
        path, data={"csrf_token": rig.csrf_of(page.text), "name": "A\x07B", "lists": ["weekly"]}
    )
    assert refused.status_code == 400 and FRENCH_PAGE in refused.text
    assert "Votre nom ne peut contenir ni saut de ligne ni caractère de contrôle." in refused.text
    saved = http.post(path, data={"csrf_token": rig.csrf_of(page.text), "lists": ["weekly"]})
    assert "Vos préférences sont enregistrées." in saved.text
    # Refused before the form is read: still the language of the list the link names.
    expired_form = http.post(path, data={"csrf_token": "stale", "lists": ["weekly"]})
    assert expired_form.status_code == 403 and FRENCH_PAGE in expired_form.text
    assert "Refusé : ce formulaire a expiré ou ne vient pas de ce site." in expired_form.text


def test_refusals_on_a_lists_own_pages_speak_its_language(
    app: LiveApp, rt: pipeline.Runtime
) -> None:
    subject = TokenSubject(subscriber_id(rt, "reader@example.org"), list_id(rt, "culture"))
    unsubscribe = "/u/" + rt.signer.sign("unsubscribe", subject)
    confirm = "/confirm/" + rt.signer.sign("confirm", subject, issued_at=NOW)
    with httpx.Client(base_url=app.url, timeout=30) as client:
        not_a_form = client.post(confirm, content=b"{}", headers={"Content-Type": "text/json"})
        assert not_a_form.status_code == 415 and ARABIC_PAGE in not_a_form.text
        assert "مرفوض: أرسل النموذج كما تفعل الصفحة (urlencoded)." in not_a_form.text
        from_elsewhere = client.post(
            unsubscribe + "/undo", data={"left": "x"}, headers={"Origin": "https://evil.example"}
        )
        assert from_elsewhere.status_code == 403 and ARABIC_PAGE in from_elsewhere.text
        assert "مرفوض: جاء هذا الطلب من موقع آخر." in from_elsewhere.text
    # A link that names no list of ours: the language every list shares, here none (English).
    nobody = app.client().post(
        "/confirm/forged", content=b"{}", headers={"Content-Type": "text/json"}
    )
    assert nobody.status_code == 415 and '<html lang="en" dir="ltr">' in nobody.text


def test_the_default_consent_sentence_is_shown_and_kept_in_the_pages_language(
    app: LiveApp, rt: pipeline.Runtime, smtp_server: FixtureSMTPServer
) -> None:
    arabic = "نعم، أرسل إليّ القوائم التي حددتها عبر البريد الإلكتروني."
    page = app.client().get("/subscribe?list=culture")
    assert arabic in page.text and "Yes, send me" not in page.text
    assert subscribe(app, NEW, lists=("culture",)).status_code == 200
    rig.wait_for_mails(smtp_server, NEW)
    with rt.sessions() as session:
        [record] = consent_history(session, subscriber_id(rt, NEW))
    assert record.wording.startswith(arabic)  # the proof holds the words the reader read


def test_the_catalogues_consent_sentence_is_the_configured_default() -> None:
    assert DEFAULT_CONSENT.text == ReaderSettings().consent_wording


# ------------------------------------------------------------------------ the sweep


class VisibleText(HTMLParser):
    """The text a reader reads: the title and body, not the time zones' option list."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("option", "style", "script"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("option", "style", "script"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(page: str) -> str:
    parser = VisibleText()
    parser.feed(page)
    return html.unescape(" ".join(" ".join(parser.parts).split()))


def english_chrome(tag: str) -> list[str]:
    """The catalogue's English sentences the language says otherwise (placeholders cut)."""
    with (LOCALES / tag / "LC_MESSAGES" / "digest.po").open("rb") as stream:
        catalog = read_po(stream)
    found = []
    for message in catalog:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for msgid in ids:
            for piece in re.split(r"%\(\w+\)s|\{\w+\}", msgid or ""):
                piece = piece.strip(" :,.()")
                if len(piece.split()) >= 2 and not any(piece in s for s in strings if s):
                    found.append(piece)
    return found


@pytest.mark.parametrize(("tag", "direction"), [("ar", "rtl"), ("fr", "ltr")])
def test_every_reader_page_of_the_list_speaks_its_language(
    write_config,  # type: ignore[no-untyped-def]
    settings,  # type: ignore[no-untyped-def]
    app: LiveApp,
    rt: pipeline.Runtime,
    smtp_server: FixtureSMTPServer,
    tag: str,
    direction: str,
) -> None:
    slug = "weekly" if tag == "fr" else "culture"
    pages = reader_pages(app, rt, smtp_server, slug)
    data = [
        "Coast Digest",
        "The Weekly",
        "Culture Notes",
        NEW,
        "reader@example.org",  # examples in messages: an address, a time zone
        "Africa/Dakar",
        *topics_on_offer(settings),
    ]
    chrome = english_chrome(tag)
    assert len(chrome) > 80  # the sweep has the catalogue's sentences to look for
    for name, page in pages.items():
        assert f'<html lang="{tag}" dir="{direction}">' in page.text, name
        text = visible_text(page.text)
        left = [words for words in chrome if words in text]
        assert left == [], f"{name}: English left: {left}"
        for value in data:
            text = text.replace(value, "")
        words = set(re.findall(r"[A-Za-z]{2,}", text))
        if tag == "ar":
            latin = words - {"Atom", "JSON"}
            assert latin == set(), f"{name}: Latin words left: {sorted(latin)}"
        else:  # words English needs and French never has: hard-coded English in a template
            english = words & ENGLISH_ONLY
            assert english == set(), f"{name}: English words left: {sorted(english)}"


def reader_pages(
    app: LiveApp, rt: pipeline.Runtime, smtp_server: FixtureSMTPServer, slug: str
) -> dict[str, httpx.Response]:
    """Each reader page of one list, reached as a reader reaches it."""
    http = app.client()
    pages = {"subscribe": http.get(f"/subscribe?list={slug}")}
    pages["subscribe refused"] = subscribe(app, "nobody", lists=(slug,), http=http)
    pages["check your inbox"] = subscribe(app, NEW, lists=(slug,), http=http)
    [mail] = rig.wait_for_mails(smtp_server, NEW)
    confirm = path_of(rig.confirm_link(mail))
    pages["confirm"] = http.get(confirm)
    pages["confirmed"] = http.post(confirm, data={"csrf_token": rig.csrf_of(pages["confirm"].text)})
    found = re.search(r'href="(/p/[^"]+)"', pages["confirmed"].text)
    assert found is not None
    pages["preferences"] = http.get(found.group(1))
    token = rig.csrf_of(pages["preferences"].text)
    pages["preferences refused"] = http.post(
        found.group(1), data={"csrf_token": token, "timezone": "Mars/Olympus"}
    )
    pages["erase refused"] = http.post(found.group(1) + "/erase", data={"csrf_token": token})
    path = unsubscribe_path(rt, NEW, slug)
    pages["unsubscribe"] = http.get(path)
    with httpx.Client(base_url=app.url, timeout=30) as client:
        pages["unsubscribed"] = client.post(path, content=ONE_CLICK, headers=URLENCODED)
        left = left_token(pages["unsubscribed"].text)
        pages["why refused"] = client.post(
            path + "/why", data={"left": left, "reason": "bored", "detail": ""}
        )
        pages["thanks"] = client.post(path + "/why", data={"left": left, "reason": "too_many"})
        pages["undone"] = client.post(path + "/undo", data={"left": left})
    pages["archive"] = http.get(f"/archive/{slug}")
    pages["not found"] = http.get(f"/archive/{slug}/99")
    assert [name for name, page in pages.items() if page.status_code >= 500] == []
    return pages
