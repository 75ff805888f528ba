"""After an unsubscribe: the undo (signed, for readers.undo_unsubscribe_hours), the optional
question why (counted for editors), and a reader who left signing up again."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from digest import pipeline
from subscribers.consent import consent_history
from subscribers.models import LeavingAnswer, Subscriber
from subscribers.tokens import TokenSubject
from tests.servers import FixtureSMTPServer
from tests.web.conftest import NOW, LiveApp
from tests.web.readers import rig
from tests.web.readers.test_reader_pages import list_id, subscribe, subscriber_id, subscription

READER = "reader@example.org"  # the demo reader: confirmed on weekly
ONE_CLICK = b"List-Unsubscribe=One-Click"
URLENCODED = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def reader_overrides() -> dict[str, object]:
    return {"undo_unsubscribe_hours": 2}


def unsubscribe_path(rt: pipeline.Runtime, email: str = READER, slug: str = "weekly") -> str:
    subject = TokenSubject(subscriber_id(rt, email), list_id(rt, slug))
    return "/u/" + rt.signer.sign("unsubscribe", subject)


def left_token(page: str) -> str:
    found = re.search(r'name="left" value="([^"]+)"', page)
    assert found, page[:800]
    return found.group(1)


def leave(app: LiveApp, rt: pipeline.Runtime) -> tuple[str, str]:
    """One-click unsubscribe as a mail client sends it; (the page's path, its left token)."""
    path = unsubscribe_path(rt)
    with httpx.Client(base_url=app.url, timeout=30) as client:
        page = client.post(path, content=ONE_CLICK, headers=URLENCODED)
    assert page.status_code == 200 and "You are unsubscribed" in page.text
    assert "set-cookie" not in page.headers  # RFC 8058's answer: no cookie
    return path, left_token(page.text)


def set_topics(rt: pipeline.Runtime, topics: list[str]) -> None:
    with rt.sessions.begin() as session:
        person = session.scalar(select(Subscriber).where(Subscriber.email == READER))
        assert person is not None
        person.topics = topics


def answers(rt: pipeline.Runtime) -> list[tuple[str, str | None]]:
    with rt.sessions() as session:
        return [(a.reason, a.detail) for a in session.scalars(select(LeavingAnswer)).all()]


def test_undo_restores_the_subscription_as_it_was_and_records_it(
    app: LiveApp, rt: pipeline.Runtime
) -> None:
    set_topics(rt, ["West Africa"])
    path, left = leave(app, rt)
    assert subscription(rt, READER).status == "unsubscribed"  # type: ignore[union-attr]

    with app.client() as http:
        undone = http.post(path + "/undo", data={"left": left})
        again = http.post(path + "/undo", data={"left": left})

    assert undone.status_code == 200 and "You are subscribed again" in undone.text
    assert again.status_code == 200
    restored = subscription(rt, READER)
    assert restored is not None
    assert (restored.status, restored.unsubscribed_at) == ("confirmed", None)
    with rt.sessions() as session:
        person = session.scalar(select(Subscriber).where(Subscriber.email == READER))
        assert person is not None and person.topics == ["West Africa"]
        trail = [(r.action, r.method) for r in consent_history(session, person.id)]
    assert trail[-2:] == [("unsubscribe", "email"), ("resubscribe", "form")]
    assert pipeline.send(rt, "weekly", NOW).sent == 1  # the next issue reaches them again


def test_an_expired_forged_or_cross_site_undo_changes_nothing(
    app: LiveApp, rt: pipeline.Runtime, clock: rig.MovableClock
) -> None:
    path, left = leave(app, rt)
    other = TokenSubject(subscriber_id(rt, READER), list_id(rt, "culture"))
    forged = [
        left[:-2] + ("AA" if not left.endswith("AA") else "BB"),  # tampered
        rt.signer.sign("left", other, issued_at=NOW),  # another list's
        path.rpartition("/")[2],  # the unsubscribe token itself: another purpose
        "",
        "x" * 600,
    ]
    with app.client() as http:
        for token in forged:
            refused = http.post(path + "/undo", data={"left": token})
            assert refused.status_code == 400, token
            assert "This link does not work" in refused.text
        cross_site = http.post(
            path + "/undo", data={"left": left}, headers={"Origin": "https://evil.example"}
        )
        assert cross_site.status_code == 403
        clock.at = NOW + timedelta(hours=2, seconds=1)
        late = http.post(path + "/undo", data={"left": left})

    assert late.status_code == 400 and "Too late" in late.text and "sign-up page" in late.text
    assert subscription(rt, READER).status == "unsubscribed"  # type: ignore[union-attr]


def test_an_undo_after_the_reader_changed_their_subscription_does_nothing(
    app: LiveApp, rt: pipeline.Runtime, clock: rig.MovableClock
) -> None:
    path, first = leave(app, rt)
    with app.client() as http:
        assert "subscribed again" in http.post(path + "/undo", data={"left": first}).text
    clock.at = NOW + timedelta(minutes=5)
    _, second = leave(app, rt)  # left again, later

    with app.client() as http:
        stale = http.post(path + "/undo", data={"left": first})

    assert stale.status_code == 409 and "cannot be undone" in stale.text
    assert subscription(rt, READER).status == "unsubscribed"  # type: ignore[union-attr]
    assert second != first


def test_why_is_optional_one_answer_per_leaving_and_shown_to_editors(
    app: LiveApp, rt: pipeline.Runtime
) -> None:
    path, left = leave(app, rt)
    with app.client() as http:
        nothing = http.post(path + "/why", data={"left": left})
        first = http.post(path + "/why", data={"left": left, "reason": "too_many"})
        second = http.post(
            path + "/why",
            data={"left": left, "reason": "not_relevant", "detail": "  <b>More</b> culture\r\n"},
        )

    assert [r.status_code for r in (nothing, first, second)] == [200, 200, 200]
    assert "Thank you" in second.text
    assert answers(rt) == [("not_relevant", "<b>More</b> culture")]  # replaced, not added
    assert subscription(rt, READER).status == "unsubscribed"  # type: ignore[union-attr]


def test_hostile_why_answers_are_refused_or_cleaned_and_nothing_is_lost(
    app: LiveApp, rt: pipeline.Runtime
) -> None:
    path, left = leave(app, rt)
    long_text = "é" * 501
    with app.client() as http:
        too_long = http.post(path + "/why", data={"left": left, "detail": long_text})
        unknown = http.post(path + "/why", data={"left": left, "reason": "<script>"})
        huge = http.post(path + "/why", data={"left": left, "detail": "x" * 20_000})
        garbage = http.post(
            path + "/why",
            content=b"left=" + left.encode() + b"&detail=\xff\xfe\x00 not UTF-8",
            headers=URLENCODED,
        )
        control = http.post(
            path + "/why",
            data={"left": left, "reason": "other", "detail": "a\x00b\x1b[31mc\x07 </textarea>"},
        )

    assert too_long.status_code == 400
    assert "keep it to 500 characters (this is 501)" in too_long.text
    assert f">{long_text}</textarea>" in too_long.text  # what they typed, kept for them
    assert left_token(too_long.text) == left  # the form still works
    assert unknown.status_code == 400 and "Choose one of the reasons shown" in unknown.text
    assert "<script>" not in unknown.text
    assert huge.status_code == 413
    assert garbage.status_code == 400 and "could not be read" in garbage.text
    assert control.status_code == 200
    assert answers(rt) == [("other", "ab[31mc </textarea>")]

    with rt.sessions() as session:
        count = session.scalar(select(func.count()).select_from(LeavingAnswer))
    assert count == 1


def test_a_reader_who_left_signs_up_again_with_a_new_confirmation(
    app: LiveApp, rt: pipeline.Runtime, smtp_server: FixtureSMTPServer
) -> None:
    leave(app, rt)

    answer = subscribe(app, READER)

    assert answer.status_code == 200 and "Check your inbox" in answer.text
    [mail] = rig.wait_for_mails(smtp_server, READER)
    assert subscription(rt, READER).status == "pending"  # type: ignore[union-attr]
    link = rig.confirm_link(mail)
    with app.client() as http:
        page = http.get(httpx.URL(link).path)
        done = http.post(httpx.URL(link).path, data={"csrf_token": rig.csrf_of(page.text)})
    assert "You are subscribed" in done.text
    assert subscription(rt, READER).status == "confirmed"  # type: ignore[union-attr]


def test_a_pending_subscription_left_offers_no_undo(
    app: LiveApp, rt: pipeline.Runtime, smtp_server: FixtureSMTPServer
) -> None:
    subscribe(app, "pending@example.net")
    rig.wait_for_mails(smtp_server, "pending@example.net")

    with httpx.Client(base_url=app.url, timeout=30) as client:
        page = client.post(
            unsubscribe_path(rt, "pending@example.net"), content=ONE_CLICK, headers=URLENCODED
        )

    assert page.status_code == 200 and "You are unsubscribed" in page.text
    assert 'name="left"' not in page.text


def test_an_answer_is_in_the_readers_data_and_erased_with_them(
    app: LiveApp, rt: pipeline.Runtime
) -> None:
    path, left = leave(app, rt)
    preferences = "/p/" + rt.signer.sign(
        "preferences", TokenSubject(subscriber_id(rt, READER), list_id(rt))
    )
    with app.client() as http:
        http.post(path + "/why", data={"left": left, "reason": "too_long", "detail": "Busy"})
        token = rig.csrf_of(http.get(preferences).text)
        data = http.post(preferences + "/export", data={"csrf_token": token}).json()
        erased = http.post(preferences + "/erase", data={"csrf_token": token, "sure": "yes"})

    assert [(a["list"], a["reason"], a["detail"]) for a in data["leaving_answers"]] == [
        ("weekly", "too_long", "Busy")
    ]
    assert erased.status_code == 200
    assert answers(rt) == []
