"""No log line holds a working reader token or API key, in text or JSON lines.

The attack: the access log (and any line naming a URL) held /u/TOKEN, /p/TOKEN and
/confirm/TOKEN in full, so whoever reads the logs could unsubscribe a reader, change their
preferences or confirm a sign-up; an API key in a logged header or query worked as well.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import select

from digest import logs, pipeline
from digest.config import Settings
from subscribers.models import MailingList, Subscriber
from subscribers.tokens import TokenSubject
from tests.security.test_web_edges import API_KEY, NOW, served
from tests.security.test_web_edges import settings as settings  # the fixture
from tests.security.test_web_edges import web_overrides as web_overrides


@pytest.fixture
def emitted() -> Iterator[io.StringIO]:
    """Where digest.logs.configure sends the lines (stderr); the root logger restored after."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    out = io.StringIO()
    yield out
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])


def reader_tokens(settings: Settings) -> dict[str, str]:
    with pipeline.runtime(settings, NOW) as rt, rt.sessions() as session:
        reader = session.scalar(
            select(Subscriber.id).where(Subscriber.email == "reader@example.org")
        )
        weekly = session.scalar(select(MailingList.id).where(MailingList.slug == "weekly"))
        assert reader is not None and weekly is not None
        subject = TokenSubject(reader, weekly)
        return {
            "unsubscribe": rt.signer.sign("unsubscribe", subject),
            "preferences": rt.signer.sign("preferences", subject),
            "confirm": rt.signer.sign("confirm", subject, issued_at=NOW),
        }


@pytest.mark.parametrize("json_lines", [False, True], ids=["text", "json"])
def test_tokens_and_keys_never_reach_a_log_line(
    settings: Settings, emitted: io.StringIO, json_lines: bool
) -> None:
    tokens = reader_tokens(settings)
    with contextlib.redirect_stderr(emitted):
        logs.configure(json_lines=json_lines, verbose=False)
    with served(settings) as live, httpx.Client(base_url=live.url, timeout=30) as http:
        paths = [
            f"/u/{tokens['unsubscribe']}",
            f"/p/{tokens['preferences']}",
            f"/p/{tokens['preferences']}/export",
            f"/confirm/{tokens['confirm']}",
            f"/login?next={quote('/p/' + tokens['preferences'], safe='')}",
            f"/api/subscribers?api_key={API_KEY}",
        ]
        # A mail client may escape any character of a link: the page opens all the same.
        token = tokens["preferences"]
        escaped = {
            "every character": "".join(f"%{ord(c):02X}" for c in token),
            "one character": f"{token[:2]}%{ord(token[2]):02X}{token[3:]}",
        }
        escaped_answers = [http.get(f"/p/{value}").status_code for value in escaped.values()]
        http.get(f"/login?next={quote(quote('/p/' + token, safe=''), safe='')}")
        answers = [http.get(path).status_code for path in paths]
        answers.append(
            http.get("/api/subscribers", headers={"Authorization": f"Bearer {API_KEY}"}).status_code
        )
        # An application line that names a URL and a header, as a failure report might.
        logging.getLogger("digest.web").error(
            "failed: %s (Authorization: Bearer %s)", live.url + paths[1], API_KEY
        )
    lines = emitted.getvalue().splitlines()

    assert answers[0] == 200 and answers[-1] == 200
    access = [line for line in lines if "uvicorn.access" in line]
    assert len(access) >= len(paths) + 1, lines
    assert escaped_answers == [200, 200]
    for secret in (*tokens.values(), API_KEY, *escaped.values(), token[3:]):
        assert not [line for line in lines if secret in line]
    assert sum("/u/[redacted]" in line for line in access) == 1
    assert sum("/p/[redacted]" in line for line in access) == 2 + len(escaped)
    assert sum("/confirm/[redacted]" in line for line in access) == 1
    assert any("Bearer [redacted]" in line for line in lines)
    if json_lines:
        assert all(json.loads(line)["message"] for line in lines)


def test_a_readers_part_of_a_counted_story_link_is_redacted() -> None:
    """With analytics.per_reader a story link's first segment names its reader."""
    line = '127.0.0.1 - "GET /c/42.Zm9vYmFyYmF6cXV4/12-345-6.c2lnbmF0dXJl HTTP/1.1" 302'
    redacted = logs.redact(line)
    assert "42.Zm9vYmFyYmF6cXV4" not in redacted
    assert f"/c/{logs.REDACTED}/12-345-6.c2lnbmF0dXJl" in redacted
