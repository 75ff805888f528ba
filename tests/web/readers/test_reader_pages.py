"""The reader's pages over real HTTP: subscribe, confirm, one-click unsubscribe, preferences,
and what they refuse (forged tokens, missing CSRF tokens, bots, floods, header injection)."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from digest import db, pipeline
from digest.errors import ConfigError
from digest.models import Delivery
from digest.web import create_app
from subscribers.consent import consent_history
from subscribers.membership import add_subscriber, ensure_list
from subscribers.models import MailingList, Subscriber, Subscription, Suppression
from subscribers.suppression import suppress
from subscribers.tokens import TokenSubject
from tests.servers import Fault, FixtureSMTPServer
from tests.web.conftest import NOW, LiveApp
from tests.web.readers.rig import (
    MovableClock,
    confirm_link,
    csrf_of,
    html_of,
    mails_to,
    settle,
    text_of,
    wait_for_mails,
)

NEW = "new.reader@example.net"


def subscribe(
    app: LiveApp,
    email: str,
    *,
    lists: tuple[str, ...] = ("weekly",),
    topics: tuple[str, ...] = (),
    name: str = "",
    extra: dict[str, str] | None = None,
    http: httpx.Client | None = None,
) -> httpx.Response:
    http = http or app.client()
    page = http.get("/subscribe")
    assert page.status_code == 200
    form = {
        "csrf_token": csrf_of(page.text),
        "email": email,
        "name": name,
        "lists": list(lists),
        "topics": list(topics),
        "website": "",
        **(extra or {}),
    }
    return http.post("/subscribe", data=form)


def subscription(rt: pipeline.Runtime, email: str, slug: str = "weekly") -> Subscription | None:
    with rt.sessions() as session:
        return session.scalar(
            select(Subscription)
            .join(Subscriber)
            .join(MailingList)
            .where(Subscriber.email == email, MailingList.slug == slug)
        )


def subscriber_id(rt: pipeline.Runtime, email: str) -> int:
    with rt.sessions() as session:
        found = session.scalar(select(Subscriber.id).where(Subscriber.email == email))
    assert found is not None
    return found


def list_id(rt: pipeline.Runtime, slug: str = "weekly") -> int:
    with rt.sessions() as session:
        found = session.scalar(select(MailingList.id).where(MailingList.slug == slug))
    assert found is not None
    return found


def path_of(url: str) -> str:
    return httpx.URL(url).path


def test_sign_up_mails_a_confirmation_and_only_the_button_confirms(
    app: LiveApp, rt: pipeline.Runtime, smtp_server: FixtureSMTPServer
) -> None:
    answer = subscribe(
        app,
        "New.Reader@Example.NET",
        name="Amina Diallo",
        lists=("weekly", "culture"),
        topics=("West Africa",),
    )

    assert answer.status_code == 200
    assert "Check your inbox" in answer.text
    [mail] = wait_for_mails(smtp_server, NEW)
    assert mail["To"] == NEW
    assert mail["Subject"] == "Please confirm your subscription to Coast Digest"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["List-Unsubscribe"] is None
    assert "Amina Diallo" in text_of(mail) and "Amina Diallo" in html_of(mail)
    assert "The Weekly, Culture Notes" in text_of(mail)
    link = confirm_link(mail)
    assert link.startswith(app.url + "/confirm/")
    assert f'href="{link}"' in html_of(mail)
    pending = subscription(rt, NEW)
    assert pending is not None and pending.status == "pending" and pending.origin == "form"
    assert pending.confirmation_sent_at == NOW
    with rt.sessions() as session:
        person = session.scalar(select(Subscriber).where(Subscriber.email == NEW))
        assert person is not None
        assert (person.name, person.topics) == ("Amina Diallo", ["West Africa"])
        records = consent_history(session, person.id)
    assert [(r.action, r.method, r.ip_address) for r in records] == [
        ("subscribe", "form", "127.0.0.1"),
        ("subscribe", "form", "127.0.0.1"),
    ]
    assert records[0].wording == rt.settings.readers.consent_wording

    http = app.client()
    page = http.get(path_of(link))
    assert page.status_code == 200 and "Yes, subscribe me" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "same-origin"
    http.get(path_of(link))  # a mail scanner opening the link again: still nothing happens
    assert subscription(rt, NEW).status == "pending"  # type: ignore[union-attr]

    done = http.post(path_of(link), data={"csrf_token": csrf_of(page.text)})

    assert done.status_code == 200 and "You are subscribed" in done.text
    for slug in ("weekly", "culture"):
        confirmed = subscription(rt, NEW, slug)
        assert confirmed is not None
        assert (confirmed.status, confirmed.confirmed_at) == ("confirmed", NOW)
    with rt.sessions() as session:
        actions = [r.action for r in consent_history(session, subscriber_id(rt, NEW))]
    assert actions == ["subscribe", "subscribe", "confirm", "confirm"]
    again = http.post(path_of(link), data={"csrf_token": csrf_of(page.text)})
    assert again.status_code == 200 and "Already confirmed" in again.text


def test_the_answer_is_the_same_whoever_the_address_belongs_to(
    app: LiveApp, rt: pipeline.Runtime, smtp_server: FixtureSMTPServer
) -> None:
    with db.transaction(rt.sessions) as session:
        suppress(session, "gone@example.net", "complaint", NOW)
    answers = {
        email: subscribe(app, email)
        for email in (NEW, "reader@example.org", "gone@example.net")  # new, confirmed, suppressed
    }

    assert {a.status_code for a in answers.values()} == {200}
    assert len({a.text for a in answers.values()}) == 1
    wait_for_mails(smtp_server, NEW)
    settle(smtp_server)
    assert [to for _f, tos, _c in smtp_server.handler.messages for to in tos] == [NEW]
    with rt.sessions() as session:
        assert (
            session.scalar(select(Subscriber).where(Subscriber.email == "gone@example.net")) is None
        )
    assert subscription(rt, "reader@example.org").status == "confirmed"  # type: ignore[union-attr]


def test_no_second_confirmation_mail_within_the_resend_window(
    app: LiveApp, smtp_server: FixtureSMTPServer, clock: MovableClock
) -> None:
    subscribe(app, NEW)
    wait_for_mails(smtp_server, NEW)
    clock.at = NOW + timedelta(minutes=59)
    subscribe(app, NEW)
    assert len(wait_for_mails(smtp_server, NEW, count=2, timeout=1)) == 1

    clock.at = NOW + timedelta(minutes=61)
    subscribe(app, NEW)

    assert len(wait_for_mails(smtp_server, NEW, count=2)) == 2


def test_a_filled_honeypot_gets_the_same_answer_and_nothing_happens(
    app: LiveApp, rt: pipeline.Runtime, smtp_server: FixtureSMTPServer
) -> None:
    human = subscribe(app, "human@example.net")
    bot = subscribe(app, NEW, extra={"website": "http://spam.example"})

    assert (bot.status_code, bot.text) == (human.status_code, human.text)
    wait_for_mails(smtp_server, "human@example.net")
    settle(smtp_server)
    assert mails_to(smtp_server, NEW) == []
    with rt.sessions() as session:
        assert session.scalar(select(Subscriber).where(Subscriber.email == NEW)) is None


@pytest.mark.parametrize("reader_overrides", [{"subscribe_per_ip": 3}])
def test_sign_ups_per_ip_are_limited(app: LiveApp, smtp_server: FixtureSMTPServer) -> None:
    answers = [subscribe(app, f"r{i}@example.net").status_code for i in range(4)]

    assert answers == [200, 200, 200, 429]
    wait_for_mails(smtp_server, "r2@example.net")
    settle(smtp_server)
    assert mails_to(smtp_server, "r3@example.net") == []


@pytest.mark.parametrize(
    "reader_overrides", [{"subscribe_per_address": 2, "resend_confirmation_minutes": 0}]
)
def test_sign_ups_per_address_are_limited_without_saying_so(
    app: LiveApp, smtp_server: FixtureSMTPServer, clock: MovableClock
) -> None:
    answers = []
    for minute in range(3):
        clock.at = NOW + timedelta(minutes=minute)
        answers.append(subscribe(app, NEW))

    assert len({(a.status_code, a.text) for a in answers}) == 1
    wait_for_mails(smtp_server, NEW, count=2)
    settle(smtp_server)
    assert len(mails_to(smtp_server, NEW)) == 2


def test_forged_expired_and_other_purposes_tokens_are_refused(
    app: LiveApp, rt: pipeline.Runtime, smtp_server: FixtureSMTPServer
) -> None:
    subscribe(app, NEW)
    link = path_of(confirm_link(wait_for_mails(smtp_server, NEW)[0]))
    subject = TokenSubject(subscriber_id(rt, NEW), list_id(rt))
    expired = rt.signer.sign("confirm", subject, issued_at=NOW - timedelta(days=7, seconds=1))
    unsubscribe = rt.signer.sign("unsubscribe", subject)
    preferences = rt.signer.sign("preferences", subject)
    token = link.rpartition("/")[2]
    tampered = token[:-5] + ("B" if token[-5] != "B" else "C") + token[-4:]
    http = app.client()
    csrf = csrf_of(http.get(link).text)

    refused = {
        "tampered confirm": http.post(f"/confirm/{tampered}", data={"csrf_token": csrf}),
        "expired confirm": http.post(f"/confirm/{expired}", data={"csrf_token": csrf}),
        "expired confirm page": http.get(f"/confirm/{expired}"),
        "unsubscribe as confirm": http.post(f"/confirm/{unsubscribe}", data={"csrf_token": csrf}),
        "preferences as confirm": http.post(f"/confirm/{preferences}", data={"csrf_token": csrf}),
        "confirm as unsubscribe": http.post(f"/u/{token}", data={"List-Unsubscribe": "One-Click"}),
        "preferences as unsubscribe": http.post(
            f"/u/{preferences}", data={"List-Unsubscribe": "One-Click"}
        ),
        "unsubscribe as preferences": http.get(f"/p/{unsubscribe}"),
        "confirm as preferences": http.get(f"/p/{token}"),
    }

    assert {name: r.status_code for name, r in refused.items()} == dict.fromkeys(refused, 400)
    assert subscription(rt, NEW).status == "pending"  # type: ignore[union-attr]
    good = http.post(link, data={"csrf_token": csrf})
    assert good.status_code == 200
    assert subscription(rt, NEW).status == "confirmed"  # type: ignore[union-attr]


def test_one_click_unsubscribe_from_a_digest_needs_no_cookie(
    app: LiveApp, rt: pipeline.Runtime, smtp_server: FixtureSMTPServer
) -> None:
    sent = pipeline.send(rt, "weekly", NOW)
    assert sent.sent == 1
    [digest] = mails_to(smtp_server, "reader@example.org")
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = digest["List-Unsubscribe"].split(",")[0].strip().strip("<>")
    assert url.startswith(app.url + "/u/")

    with httpx.Client(timeout=30, follow_redirects=False) as browserless:
        page = browserless.get(url)
        assert page.status_code == 200 and 'value="One-Click"' in page.text
        assert "set-cookie" not in page.headers
        assert subscription(rt, "reader@example.org").status == "confirmed"  # type: ignore[union-attr]
        assert "/p/" in page.text  # the way to preferences instead

        answer = browserless.post(
            url,
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert browserless.cookies.jar is not None and len(browserless.cookies.jar) == 0

    assert answer.status_code == 200
    assert "location" not in answer.headers and "set-cookie" not in answer.headers
    assert "You are unsubscribed" in answer.text
    gone = subscription(rt, "reader@example.org")
    assert gone is not None and (gone.status, gone.unsubscribed_at) == ("unsubscribed", NOW)
    with rt.sessions() as session:
        last = consent_history(session, subscriber_id(rt, "reader@example.org"))[-1]
    assert (last.action, last.method) == ("unsubscribe", "email")
    # A mail client's multipart body, sent again: still 200, nothing more to do.
    again = httpx.post(url, files={"List-Unsubscribe": (None, "One-Click")}, timeout=30)
    assert again.status_code == 200


@pytest.mark.parametrize("delivery_overrides", [{"batch_size": 1}])
def test_a_one_click_unsubscribe_during_a_send_skips_the_reader(
    app: LiveApp, rt: pipeline.Runtime, smtp_server: FixtureSMTPServer
) -> None:
    with db.transaction(rt.sessions) as session:
        weekly = session.get(MailingList, list_id(rt))
        assert weekly is not None
        add_subscriber(session, weekly, "later@example.net", name=None, now=NOW)
    later = TokenSubject(subscriber_id(rt, "later@example.net"), list_id(rt))
    url = f"{app.url}/u/{rt.signer.sign('unsubscribe', later)}"
    clicks: list[int] = []

    def after_each_batch(done: int, todo: int) -> None:
        if done == 1:  # the first reader has their digest; "later" is still to come
            clicks.append(httpx.post(url, data={"List-Unsubscribe": "One-Click"}).status_code)

    report = pipeline.send(rt, "weekly", NOW, progress=after_each_batch)

    assert clicks == [200]
    assert (report.sent, report.skipped) == (1, 1)
    assert len(mails_to(smtp_server, "reader@example.org")) == 1
    assert mails_to(smtp_server, "later@example.net") == []
    with rt.sessions() as session:
        kept = session.execute(
            select(Delivery.status, Delivery.last_reply).where(
                Delivery.subscriber_id == later.subscriber_id
            )
        ).one()
    assert tuple(kept) == ("skipped", "no longer subscribed")


def test_every_form_but_one_click_needs_its_csrf_token(
    app: LiveApp, rt: pipeline.Runtime, smtp_server: FixtureSMTPServer
) -> None:
    subscribe(app, NEW)
    link = path_of(confirm_link(wait_for_mails(smtp_server, NEW)[0]))
    preferences = rt.signer.sign("preferences", TokenSubject(subscriber_id(rt, NEW), list_id(rt)))
    http = app.client()

    answers = [
        http.post("/subscribe", data={"email": "x@example.net", "lists": "weekly"}).status_code,
        http.post(link, data={"x": "1"}).status_code,
        http.post(link, data={"csrf_token": "guessed"}).status_code,
        http.post(f"/p/{preferences}", data={"name": "X"}).status_code,
        http.post(f"/p/{preferences}/erase", data={"sure": "yes"}).status_code,
        http.post(f"/p/{preferences}/leave", data={"x": "1"}).status_code,
        http.post(f"/p/{preferences}/export", data={"x": "1"}).status_code,
    ]

    assert answers == [403] * 7
    assert subscription(rt, NEW).status == "pending"  # type: ignore[union-attr]
    settle(smtp_server, 0.2)
    assert mails_to(smtp_server, "x@example.net") == []


def test_oversized_bodies_are_refused(app: LiveApp, rt: pipeline.Runtime) -> None:
    unsubscribe = rt.signer.sign(
        "unsubscribe", TokenSubject(subscriber_id(rt, "reader@example.org"), list_id(rt))
    )
    http = app.client()
    csrf = csrf_of(http.get("/subscribe").text)
    padding = "x" * 20_000

    big_form = http.post(
        "/subscribe", data={"csrf_token": csrf, "email": NEW, "lists": "weekly", "pad": padding}
    )
    big_click = http.post(
        f"/u/{unsubscribe}", content=b"List-Unsubscribe=One-Click&" + b"x" * 20_000
    )

    assert (big_form.status_code, big_click.status_code) == (413, 413)
    assert subscription(rt, "reader@example.org").status == "confirmed"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "name",
    ["Eve\r\nBcc: victim@example.com", "Eve\nX-Evil: 1", "Eve\x00", "Eve\u2028Bcc: a@b.c"],
)
def test_names_with_line_breaks_or_control_characters_are_refused(
    app: LiveApp, rt: pipeline.Runtime, smtp_server: FixtureSMTPServer, name: str
) -> None:
    answer = subscribe(app, NEW, name=name)

    assert answer.status_code == 400
    assert "may not contain line breaks or control characters" in answer.text
    settle(smtp_server, 0.2)
    assert smtp_server.handler.messages == []
    assert subscription(rt, NEW) is None


def test_a_name_reaches_the_body_of_the_mail_never_a_header(
    app: LiveApp, smtp_server: FixtureSMTPServer
) -> None:
    subscribe(app, NEW, name='Eve <evil@example.com>, "Bcc"')
    [mail] = wait_for_mails(smtp_server, NEW)
    raw = smtp_server.handler.messages[0][2]
    head = raw.split(b"\r\n\r\n", 1)[0]

    assert b"Eve" not in head and b"evil@example.com" not in head
    assert mail["To"] == NEW
    assert smtp_server.handler.messages[0][1] == [NEW]
    assert "Eve &lt;evil@example.com&gt;" in html_of(mail)


def test_bad_input_is_shown_back_with_what_to_fix(app: LiveApp, rt: pipeline.Runtime) -> None:
    cases = {
        "not an address": subscribe(app, "not an address"),
        "no list": subscribe(app, NEW, lists=()),
        "forged list": subscribe(app, NEW, lists=("secret",)),
        "forged topic": subscribe(app, NEW, topics=("Nowhere",)),
    }

    assert {k: r.status_code for k, r in cases.items()} == dict.fromkeys(cases, 400)
    assert "Enter an email address such as reader@example.org." in cases["not an address"].text
    assert 'value="not an address"' in cases["not an address"].text
    assert "Tick at least one list." in cases["no list"].text
    assert "Choose lists from those shown." in cases["forged list"].text
    assert "Choose topics from those shown." in cases["forged topic"].text
    assert subscription(rt, NEW) is None


def preferences_page(app: LiveApp, rt: pipeline.Runtime, email: str) -> tuple[httpx.Client, str]:
    http = app.client()
    token = rt.signer.sign("preferences", TokenSubject(subscriber_id(rt, email), list_id(rt)))
    return http, f"/p/{token}"


def test_preferences_change_topics_lists_name_and_time_zone(
    app: LiveApp, rt: pipeline.Runtime
) -> None:
    http, url = preferences_page(app, rt, "reader@example.org")
    page = http.get(url)
    assert page.status_code == 200 and "reader@example.org" in page.text
    assert page.headers["cache-control"] == "no-store"
    csrf = csrf_of(page.text)

    saved = http.post(
        url,
        data={
            "csrf_token": csrf,
            "name": "Kofi",
            "timezone": "Africa/Dakar",
            "topics": ["Northern Africa"],
            "lists": ["culture"],
        },
    )

    assert saved.status_code == 200 and "Your preferences are saved." in saved.text
    with rt.sessions() as session:
        person = session.scalar(select(Subscriber).where(Subscriber.email == "reader@example.org"))
        assert person is not None
        assert (person.name, person.timezone, person.topics) == (
            "Kofi",
            "Africa/Dakar",
            ["Northern Africa"],
        )
        actions = [(r.action, r.method) for r in consent_history(session, person.id)]
    assert subscription(rt, "reader@example.org", "culture").status == "confirmed"  # type: ignore[union-attr]
    assert subscription(rt, "reader@example.org", "weekly").status == "unsubscribed"  # type: ignore[union-attr]
    assert actions == [("unsubscribe", "form"), ("subscribe", "form"), ("preferences", "form")]

    bad = [
        http.post(url, data={"csrf_token": csrf, "timezone": "Mars/Olympus"}),
        http.post(url, data={"csrf_token": csrf, "topics": "Atlantis"}),
        http.post(url, data={"csrf_token": csrf, "name": "A\rB"}),
    ]
    assert [r.status_code for r in bad] == [400, 400, 400]
    assert "Choose a time zone such as Africa/Dakar." in bad[0].text
    assert "<option selected>Africa/Dakar</option>" in saved.text  # chosen from a list
    # A refused save shows back what was typed, not what is stored: nothing is lost.
    kept = http.post(
        url,
        data={
            "csrf_token": csrf,
            "name": "Kofi Mensah",
            "timezone": "Africa/Accra",
            "topics": ["Atlantis"],
            "lists": ["weekly"],
        },
    )
    assert kept.status_code == 400 and 'value="Kofi Mensah"' in kept.text
    assert "<option selected>Africa/Accra</option>" in kept.text
    assert 'value="weekly" checked' in kept.text and 'value="culture" checked' not in kept.text
    with rt.sessions() as session:
        person = session.scalar(select(Subscriber).where(Subscriber.email == "reader@example.org"))
        assert person is not None and person.timezone == "Africa/Dakar"

    left = http.post(f"{url}/leave", data={"csrf_token": csrf})
    assert left.status_code == 200
    assert subscription(rt, "reader@example.org", "culture").status == "unsubscribed"  # type: ignore[union-attr]


def test_export_then_erase_forgets_the_reader_but_not_a_suppression(
    app: LiveApp, rt: pipeline.Runtime, smtp_server: FixtureSMTPServer
) -> None:
    assert pipeline.send(rt, "weekly", NOW).sent == 1
    http, url = preferences_page(app, rt, "reader@example.org")
    csrf = csrf_of(http.get(url).text)

    exported = http.post(f"{url}/export", data={"csrf_token": csrf})

    assert exported.status_code == 200
    assert exported.headers["content-type"] == "application/json"
    assert "attachment" in exported.headers["content-disposition"]
    data = json.loads(exported.text)
    assert data["subscriber"]["email"] == "reader@example.org"
    assert [(s["list"], s["status"]) for s in data["subscriptions"]] == [("weekly", "confirmed")]
    assert [(d["list"], d["issue"], d["status"]) for d in data["deliveries"]] == [
        ("weekly", 1, "sent")
    ]
    assert isinstance(data["consent_records"], list)

    with db.transaction(rt.sessions) as session:
        suppress(session, "reader@example.org", "hard_bounce", NOW)
    not_sure = http.post(f"{url}/erase", data={"csrf_token": csrf})
    assert not_sure.status_code == 400
    erased = http.post(f"{url}/erase", data={"csrf_token": csrf, "sure": "yes"})

    assert erased.status_code == 200 and "Erased" in erased.text
    with rt.sessions() as session:
        assert (
            session.scalar(select(Subscriber).where(Subscriber.email == "reader@example.org"))
            is None
        )
        assert session.scalars(select(Subscription)).all() == []
        kept = session.scalar(
            select(Suppression.reason).where(Suppression.email == "reader@example.org")
        )
    assert kept == "hard_bounce"
    assert http.get(url).status_code == 404
    # Suppressed for a hard bounce: signing up again changes nothing and sends nothing.
    subscribe(app, "reader@example.org")
    settle(smtp_server, 0.3)
    assert len(mails_to(smtp_server, "reader@example.org")) == 1  # the digest only


def test_reader_links_hold_only_under_the_secret_that_signed_them(
    write_config,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DIGEST_SECRET_KEY", raising=False)
    settings = write_config()
    with pipeline.runtime(settings, NOW) as rt:  # no variable: the install's own secret file
        token = rt.signer.sign("unsubscribe", TokenSubject(1, 1))
    assert (settings.config_path.parent / "digest.secret").is_file()

    monkeypatch.setenv("DIGEST_SECRET_KEY", "too short")
    with pytest.raises(ConfigError, match="DIGEST_SECRET_KEY"):
        create_app(settings)
    with pytest.raises(ConfigError, match="DIGEST_SECRET_KEY"):
        pipeline.open_runtime(settings, NOW)

    monkeypatch.setenv("DIGEST_SECRET_KEY", "a-long-random-secret-for-this-test-0123")
    create_app(settings)
    with pipeline.runtime(settings, NOW) as rt:
        assert rt.signer.verify("unsubscribe", token) is None  # the variable's secret is another
        assert rt.signer.verify("unsubscribe", rt.signer.sign("unsubscribe", TokenSubject(1, 1)))

    monkeypatch.delenv("DIGEST_SECRET_KEY")
    with pipeline.runtime(settings, NOW) as rt:
        assert rt.signer.verify("unsubscribe", token) == TokenSubject(1, 1)  # the file's again


@pytest.mark.parametrize("reader_overrides", [{"subscribe_per_address": 50}])
def test_sign_ups_at_the_same_moment_all_answer_and_one_mail_goes(
    app: LiveApp, rt: pipeline.Runtime, smtp_server: FixtureSMTPServer
) -> None:
    addresses = [NEW] * 5 + ["other1@example.net", "other2@example.net", "other3@example.net"]
    with ThreadPoolExecutor(len(addresses)) as pool:
        codes = list(pool.map(lambda email: subscribe(app, email).status_code, addresses))

    assert codes == [200] * len(addresses)
    wait_for_mails(smtp_server, "other3@example.net")
    wait_for_mails(smtp_server, NEW)
    settle(smtp_server)
    assert len(mails_to(smtp_server, NEW)) == 1
    assert len(smtp_server.handler.messages) == 4


def test_an_erased_readers_old_links_never_reach_the_next_sign_up(
    app: LiveApp, rt: pipeline.Runtime, smtp_server: FixtureSMTPServer
) -> None:
    subscribe(app, NEW)
    wait_for_mails(smtp_server, NEW)  # the sign-up is stored after the page answered
    token = TokenSubject(subscriber_id(rt, NEW), list_id(rt))
    old_preferences = f"/p/{rt.signer.sign('preferences', token)}"
    old_unsubscribe = f"/u/{rt.signer.sign('unsubscribe', token)}"
    http = app.client()
    csrf = csrf_of(http.get(old_preferences).text)
    erased = http.post(f"{old_preferences}/erase", data={"csrf_token": csrf, "sure": "yes"})
    assert erased.status_code == 200

    subscribe(app, "newcomer@example.net")
    wait_for_mails(smtp_server, "newcomer@example.net")

    assert subscriber_id(rt, "newcomer@example.net") != token.subscriber_id
    assert http.get(old_preferences).status_code == 404
    assert http.post(old_unsubscribe, data={"List-Unsubscribe": "One-Click"}).status_code in (
        200,
        404,
    )
    assert subscription(rt, "newcomer@example.net").status == "pending"  # type: ignore[union-attr]


def test_a_failed_confirmation_mail_lets_the_reader_ask_again_at_once(
    app: LiveApp, rt: pipeline.Runtime, smtp_server: FixtureSMTPServer
) -> None:
    smtp_server.handler.faults[NEW] = [Fault.code(451)]
    subscribe(app, NEW)
    deadline = time.monotonic() + 10
    while (row := subscription(rt, NEW)) is None or row.confirmation_sent_at is not None:
        assert time.monotonic() < deadline, "the failed mail's time was never given back"
        time.sleep(0.02)
    assert smtp_server.handler.outcomes(NEW) and not mails_to(smtp_server, NEW)

    subscribe(app, NEW)  # the same minute: within the resend window, yet nothing went out

    assert len(wait_for_mails(smtp_server, NEW)) == 1


def test_a_list_taken_off_offer_can_be_kept_but_never_joined(
    app: LiveApp, rt: pipeline.Runtime
) -> None:
    with db.transaction(rt.sessions) as session:  # lists no longer in config.yaml
        kept, _ = ensure_list(session, "archive", "The Archive")
        add_subscriber(session, kept, "reader@example.org", name=None, now=NOW)
        left, _ = ensure_list(session, "gone", "Gone Weekly")
        add_subscriber(session, left, "reader@example.org", name=None, now=NOW)
        ensure_list(session, "secret", "Not Yours")
    with db.transaction(rt.sessions) as session:
        row = session.scalar(select(Subscription).where(Subscription.list_id == left.id))
        assert row is not None
        row.status = "unsubscribed"
    http, url = preferences_page(app, rt, "reader@example.org")
    page = http.get(url)
    assert "The Archive" in page.text and "Not Yours" not in page.text
    csrf = csrf_of(page.text)

    saved = http.post(url, data={"csrf_token": csrf, "lists": ["archive", "gone", "culture"]})

    assert saved.status_code == 200, saved.text[:500]
    assert subscription(rt, "reader@example.org", "archive").status == "confirmed"  # type: ignore[union-attr]
    assert subscription(rt, "reader@example.org", "gone").status == "unsubscribed"  # type: ignore[union-attr]
    assert subscription(rt, "reader@example.org", "culture").status == "confirmed"  # type: ignore[union-attr]
    assert subscription(rt, "reader@example.org", "weekly").status == "unsubscribed"  # type: ignore[union-attr]

    joined = http.post(url, data={"csrf_token": csrf, "lists": ["archive", "secret"]})
    assert joined.status_code == 400
    assert subscription(rt, "reader@example.org", "secret") is None

    left_it = http.post(url, data={"csrf_token": csrf, "lists": ["culture"]})
    assert left_it.status_code == 200
    assert subscription(rt, "reader@example.org", "archive").status == "unsubscribed"  # type: ignore[union-attr]
