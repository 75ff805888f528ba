"""Cross-site request forgery, which holds: every editor and reader form refuses a POST without
this session's CSRF token, with another session's, or sent by another site's page (Origin,
Referer, Sec-Fetch-Site), and changes nothing; the same form from our own page works.

Already covered elsewhere, not repeated here: anonymous editor POSTs
(tests/web/test_auth.py::test_anonymous_posts_are_refused), the reader's forms without a token or
with a guessed one (tests/web/readers/test_reader_pages.py::
test_every_form_but_one_click_needs_its_csrf_token), and the one-click POST of RFC 8058, which
needs no token by design (test_one_click_unsubscribe_from_a_digest_needs_no_cookie).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from digest import db, pipeline
from digest.models import Issue
from digest.pipeline import editor_actions
from subscribers.membership import add_subscriber, ensure_list
from subscribers.models import Subscriber
from subscribers.tokens import TokenSubject
from tests.security.test_held_attacks_tokens import state
from tests.servers import FixtureSMTPServer
from tests.web.conftest import (  # noqa: F401
    EDITOR,
    HASHED_EDITOR,
    HASHED_PASSWORD,
    NOW,
    PASSWORD,
    PASSWORD_ENV,
    EditorClient,
    LiveApp,
    app,
    kofi_hash,
    rt,
    settings,
)
from tests.web.readers.rig import csrf_of

EVIL = "https://evil.example"
PENDING = "pending@example.net"


def forgeries(own: str, other_session: str, app_url: str) -> dict[str, tuple[Any, dict]]:
    """Each forgery: the csrf_token field it sends (None: none at all) and its headers."""
    return {
        "no token": (None, {}),
        "a wrong token": ("x" * 43, {}),
        "another session's token": (other_session, {}),
        "from another site (Origin)": (own, {"Origin": EVIL}),
        "from a sandboxed frame (Origin: null)": (own, {"Origin": "null"}),
        "from another site (Referer only)": (own, {"Referer": f"{EVIL}/attack.html"}),
        "a cross-site fetch": (own, {"Sec-Fetch-Site": "cross-site", "Origin": app_url}),
        "a same-site fetch (a sibling host)": (own, {"Sec-Fetch-Site": "same-site"}),
    }


def forged_posts(
    http: httpx.Client, path: str, data: dict[str, Any], own: str, other: str, app_url: str
) -> dict[str, int]:
    answers = {}
    for how, (token, headers) in forgeries(own, other, app_url).items():
        # A field beside the token: a form with none is sent as no form at all.
        form = {"page": "1", **data}
        if token is not None:
            form["csrf_token"] = token
        answers[f"{path} {how}"] = http.post(path, data=form, headers=headers).status_code
    return answers


def token_of(editor: EditorClient) -> str:
    assert editor.token is not None
    return editor.token


def editor_state(rt: pipeline.Runtime) -> Any:  # noqa: F811
    with rt.sessions() as session:
        issues = session.scalars(select(Issue.id).order_by(Issue.id)).all()
    return [editor_actions.editor_issue(rt, issue_id) for issue_id in issues]


def test_editor_forms_refuse_forged_posts_and_change_nothing(
    app: LiveApp,  # noqa: F811
    rt: pipeline.Runtime,  # noqa: F811
    smtp_server: FixtureSMTPServer,
) -> None:
    editor = app.editor()
    other = app.editor(HASHED_EDITOR, HASHED_PASSWORD)
    own, foreign = token_of(editor), token_of(other)
    http = editor.http

    # Composing, while there is no issue yet: a forgery must not make one.
    composed = forged_posts(http, "/editor/lists/weekly/compose", {}, own, foreign, app.url)
    assert editor_state(rt) == []
    editor.act("/editor/lists/weekly/compose")
    [issue] = editor_state(rt)
    base = f"/editor/issues/{issue.ref.id}"
    first = issue.entries[0].article_id
    actions = {
        f"{base}/subject": {"subject": "Forged subject"},
        f"{base}/intro": {"intro": "Forged introduction"},
        f"{base}/articles/{first}/remove": {},
        f"{base}/articles/{first}/move": {"direction": "down"},
        f"{base}/test": {"address": "victim@example.net"},
        f"{base}/approve": {},
        f"{base}/hold": {},
        "/logout": {},
    }
    before = editor_state(rt)
    answers = dict(composed)
    for path, data in actions.items():
        answers.update(forged_posts(http, path, data, own, foreign, app.url))
    # Signing in from another site's page (login CSRF: the victim signed in as the attacker).
    anonymous = app.anonymous()
    anonymous.get("/login")
    login_token = token_of(anonymous)
    credentials = {"username": EDITOR, "password": PASSWORD}
    answers.update(forged_posts(anonymous.http, "/login", credentials, login_token, own, app.url))

    assert len(answers) == 10 * len(forgeries("", "", ""))
    assert {k: v for k, v in answers.items() if v != 403} == {}
    assert editor_state(rt) == before
    assert smtp_server.handler.messages == []
    assert http.get("/editor").status_code == 200  # the forged sign-outs did not sign out
    assert anonymous.http.get("/editor").status_code == 303  # nor the forged sign-in in
    # The same form from our own page works: the refusals were the forgeries'.
    saved = http.post(
        f"{base}/subject",
        data={"csrf_token": own, "subject": "Our own subject"},
        headers={"Origin": app.url, "Sec-Fetch-Site": "same-origin"},
    )
    assert saved.status_code == 303
    assert editor_actions.editor_issue(rt, issue.ref.id).ref.subject == "Our own subject"


@pytest.fixture
def reader_tokens(rt: pipeline.Runtime) -> Iterator[dict[str, str]]:  # noqa: F811
    """The demo reader's preferences token and a pending reader's confirmation token."""
    with db.transaction(rt.sessions) as session:
        weekly, _ = ensure_list(session, "weekly", "The Weekly")
        pending, _ = add_subscriber(
            session, weekly, PENDING, name=None, now=NOW, origin="form", confirmed=False
        )
        pending.confirmation_sent_at = NOW
        session.flush()
        reader = session.scalar(
            select(Subscriber.id).where(Subscriber.email == "reader@example.org")
        )
        assert reader is not None
        subjects = TokenSubject(reader, weekly.id), TokenSubject(pending.subscriber_id, weekly.id)
    yield {
        "preferences": rt.signer.sign("preferences", subjects[0]),
        "confirm": rt.signer.sign("confirm", subjects[1], issued_at=NOW),
    }


def test_reader_forms_refuse_forged_posts_and_change_nothing(
    app: LiveApp,  # noqa: F811
    rt: pipeline.Runtime,  # noqa: F811
    smtp_server: FixtureSMTPServer,
    reader_tokens: dict[str, str],
) -> None:
    victim, attacker = app.client(), app.client()
    own = csrf_of(victim.get("/subscribe").text)
    foreign = csrf_of(attacker.get("/subscribe").text)
    preferences = f"/p/{reader_tokens['preferences']}"
    forms = {
        "/subscribe": {"email": "victim@example.net", "lists": "weekly", "website": ""},
        f"/confirm/{reader_tokens['confirm']}": {},
        preferences: {"name": "Mallory", "lists": []},
        f"{preferences}/leave": {},
        f"{preferences}/export": {},
        f"{preferences}/erase": {"sure": "yes"},
    }
    before = state(rt)

    answers: dict[str, int] = {}
    for path, data in forms.items():
        answers.update(forged_posts(victim, path, data, own, foreign, app.url))

    assert len(answers) == len(forms) * len(forgeries("", "", ""))
    assert {k: v for k, v in answers.items() if v != 403} == {}
    assert state(rt) == before
    assert smtp_server.handler.messages == []
    # From our own page, the same form works.
    saved = victim.post(
        preferences,
        data={"csrf_token": own, "name": "Awa", "lists": ["weekly"]},
        headers={"Origin": app.url, "Sec-Fetch-Site": "same-origin"},
    )
    assert saved.status_code == 200 and "Your preferences are saved." in saved.text
    assert ("reader@example.org", "Awa") in {p[:2] for p in state(rt)["people"]}
