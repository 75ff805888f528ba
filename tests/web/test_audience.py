"""The editor's Audience page: the embeddable form of each list and why readers left."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

from digest import pipeline
from subscribers import leaving, membership
from subscribers.states import LeaveReason
from subscribers.tokens import TokenSubject
from tests.web.conftest import NOW, LiveApp


def test_editors_see_the_snippet_and_the_reasons_counted_escaped(
    app: LiveApp, rt: pipeline.Runtime
) -> None:
    with rt.sessions.begin() as session:
        weekly = membership.get_list(session, "weekly")
        ids = [
            membership.add_subscriber(session, weekly, f"r{i}@example.net", name=None, now=NOW)[
                0
            ].subscriber_id
            for i in range(3)
        ]
        answers = [
            (LeaveReason.TOO_MANY, None),
            (LeaveReason.TOO_MANY, "<script>alert(1)</script>"),
            (LeaveReason.NEVER_SIGNED_UP, None),
        ]
        for i, (reason, detail) in zip(ids, answers, strict=True):
            left = TokenSubject(i, weekly.id, NOW - timedelta(hours=1))
            leaving.record_answer(session, left, reason, detail, now=NOW)

    with app.client() as http:
        refused = http.get("/editor/audience")
    page = app.editor().get("/editor/audience")

    assert refused.status_code == 303 and refused.headers["location"].startswith("/login")
    assert page.status_code == 200
    html = page.text
    assert "<td>Too many emails</td><td>2</td>" in html
    assert "<td>I never signed up</td><td>1</td>" in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "r0@example.net" not in html  # the answers name no reader
    snippet = unescape(html.split('<pre class="snippet"><code>')[1].split("</code>")[0])
    assert snippet.startswith('<form method="post" action="https://news.example.org/subscribe"')
    assert '<input type="hidden" name="lists" value="weekly">' in snippet
    assert 'name="website"' in snippet  # the honeypot
    assert "readers.embed_origins" in html  # none listed yet: says where to list them
