"""The sign-up form embedded in another site's page: posted cross-site from an origin listed in
readers.embed_origins (exactly), refused from any other; still the honeypot, the limits and
the confirmation mail; our own form still needs its CSRF token."""

from __future__ import annotations

import httpx
import pytest

from digest import pipeline
from tests.servers import FixtureSMTPServer
from tests.web.conftest import LiveApp
from tests.web.readers import rig
from tests.web.readers.test_reader_pages import subscription

PARTNER = "https://partner.example"
READER = "embedded@example.net"


@pytest.fixture
def reader_overrides() -> dict[str, object]:
    return {"embed_origins": [PARTNER + ":443", "http://127.0.0.1:9"], "subscribe_per_ip": 3}


def post_from(
    app: LiveApp, headers: dict[str, str], email: str = READER, **extra: str
) -> httpx.Response:
    """The snippet's form as a browser posts it from another site: no cookie, no CSRF token."""
    form = {"lists": "weekly", "email": email, "name": "", "website": "", **extra}
    with httpx.Client(base_url=app.url, timeout=30) as client:
        return client.post("/subscribe", data=form, headers=headers)


def test_a_listed_site_may_post_the_form_and_the_reader_gets_a_confirmation(
    app: LiveApp, rt: pipeline.Runtime, smtp_server: FixtureSMTPServer
) -> None:
    answer = post_from(app, {"Origin": PARTNER, "Sec-Fetch-Site": "cross-site"})

    assert answer.status_code == 200 and "Check your inbox" in answer.text
    [mail] = rig.wait_for_mails(smtp_server, READER)
    assert "/confirm/" in rig.confirm_link(mail)
    assert subscription(rt, READER).status == "pending"  # type: ignore[union-attr]


def test_a_referer_alone_names_the_site_too(app: LiveApp, smtp_server: FixtureSMTPServer) -> None:
    answer = post_from(app, {"Referer": PARTNER + "/newsletter?from=footer"})

    assert answer.status_code == 200
    assert len(rig.wait_for_mails(smtp_server, READER)) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "https://partner.example:8443"},  # another port: another origin
        {"Origin": "http://partner.example"},  # another scheme
        {"Origin": "null"},  # a sandboxed frame or a file: page
        {"Referer": "https://partner.example.evil.example/"},
        {"Sec-Fetch-Site": "cross-site"},  # says it is another site, names none
    ],
)
def test_any_other_site_is_refused_with_the_reason(
    app: LiveApp,
    rt: pipeline.Runtime,
    smtp_server: FixtureSMTPServer,
    headers: dict[str, str],
) -> None:
    answer = post_from(app, headers)

    assert answer.status_code == 403
    assert "readers.embed_origins" in answer.text
    assert rig.settle(smtp_server, 0.3) == 0
    assert subscription(rt, READER) is None


def test_our_own_form_still_needs_its_csrf_token(
    app: LiveApp, rt: pipeline.Runtime, smtp_server: FixtureSMTPServer
) -> None:
    for headers in ({}, {"Origin": app.url}, {"Origin": app.url, "Sec-Fetch-Site": "same-origin"}):
        answer = post_from(app, headers)
        assert answer.status_code == 403, headers
    assert subscription(rt, READER) is None


def test_the_honeypot_and_the_limits_hold_for_embedded_forms(
    app: LiveApp, rt: pipeline.Runtime, smtp_server: FixtureSMTPServer
) -> None:
    origin = {"Origin": PARTNER}
    bot = post_from(app, origin, website="https://spam.example")
    assert bot.status_code == 200 and "Check your inbox" in bot.text
    assert rig.settle(smtp_server, 0.3) == 0 and subscription(rt, READER) is None

    answers = [post_from(app, origin, email=f"n{i}@example.net") for i in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]


def test_bad_input_from_an_embedded_form_is_shown_back_on_our_page_to_fix(
    app: LiveApp, rt: pipeline.Runtime, smtp_server: FixtureSMTPServer
) -> None:
    answer = post_from(app, {"Origin": PARTNER}, email="not an address")

    assert answer.status_code == 400
    assert "Enter an email address such as reader@example.org." in answer.text
    assert 'value="not an address"' in answer.text  # what they typed, kept
    assert 'name="csrf_token"' in answer.text  # sent again from here, it is our own form
    assert rig.settle(smtp_server, 0.3) == 0
