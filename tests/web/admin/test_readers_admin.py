"""The admins' Readers pages over HTTP: search, filter, pages, history, resend, suppress, CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from digest import pipeline
from subscribers import consent, membership, reader_search, suppression
from subscribers.states import ReaderState, SuppressionReason
from tests.servers import FixtureSMTPServer
from tests.web.conftest import NOW, LiveApp


def _readers(rt: pipeline.Runtime) -> dict[str, int]:
    """A list with a reader in every state; their subscriber ids by address."""
    ids = {}
    with rt.sessions.begin() as session:
        weekly = membership.get_list(session, "weekly")
        for address, name, confirmed in [
            ("ada.confirmed@example.net", "Ada Lovelace", True),
            ("pat.pending@example.net", "Pat Pending", False),
            ("uma.left@example.net", "Uma", True),
            ("sam.blocked@example.net", None, True),
            ("hal.bounced@example.net", None, True),
        ]:
            sub, _ = membership.add_subscriber(
                session, weekly, address, name=name, now=NOW, confirmed=confirmed
            )
            ids[address] = sub.subscriber_id
            consent.record_consent(
                session,
                subscriber_id=sub.subscriber_id,
                list_id=weekly.id,
                action="subscribe",
                method="form",
                now=NOW,
                wording="Yes please",
            )
        membership.remove_subscriber(session, weekly, "uma.left@example.net", now=NOW)
        suppression.suppress(session, "sam.blocked@example.net", SuppressionReason.MANUAL, NOW)
        suppression.suppress(
            session, "hal.bounced@example.net", SuppressionReason.HARD_BOUNCE, NOW, "550 gone"
        )
    return ids


def _emails(html: str) -> set[str]:
    return {
        e
        for e in ("ada.confirmed", "pat.pending", "uma.left", "sam.blocked", "hal.bounced")
        if f"{e}@example.net" in html
    }


def test_search_and_filter_by_state(app: LiveApp, rt: pipeline.Runtime) -> None:
    _readers(rt)
    admin = app.editor()

    assert _emails(admin.get("/admin/readers/weekly?q=LOVELACE").text) == {"ada.confirmed"}
    assert _emails(admin.get("/admin/readers/weekly?q=pending%40").text) == {"pat.pending"}
    by_state = {
        state: _emails(admin.get(f"/admin/readers/weekly?state={state}").text)
        for state in ReaderState
    }
    assert by_state == {
        ReaderState.CONFIRMED: {"ada.confirmed"},
        ReaderState.PENDING: {"pat.pending"},
        ReaderState.UNSUBSCRIBED: {"uma.left"},
        ReaderState.SUPPRESSED: {"sam.blocked", "hal.bounced"},
    }
    # A search for SQL's wildcards matches them as text, not as every address.
    assert _emails(admin.get("/admin/readers/weekly?q=%25").text) == set()
    bad = admin.get("/admin/readers/weekly?state=everyone")
    assert bad.status_code == 400 and "No reader state" in bad.text
    assert admin.get("/admin/readers/weekly?after=-1").status_code == 400
    assert admin.get("/admin/readers/nosuch").status_code == 404
    overview = admin.get("/admin/readers").text
    assert 'href="/admin/readers/weekly?state=suppressed">2</a>' in overview


def test_pages_follow_the_last_reader_shown(rt: pipeline.Runtime) -> None:
    with rt.sessions.begin() as session:
        weekly = membership.get_list(session, "weekly")
        for i in range(7):
            membership.add_subscriber(session, weekly, f"p{i}@example.net", name=None, now=NOW)
    seen: list[str] = []
    after: int | None = 0
    with rt.sessions() as session:
        list_id = membership.get_list(session, "weekly").id
        while after is not None:
            page = reader_search.search_readers(
                session, list_id, query="@example.net", after=after, page_size=3
            )
            seen += [row.email for row in page.rows]
            after = page.next_after
    assert seen == [f"p{i}@example.net" for i in range(7)]  # each once, in order, 3 pages


def test_history_resend_suppress_lift(
    app: LiveApp, rt: pipeline.Runtime, smtp_server: FixtureSMTPServer
) -> None:
    ids = _readers(rt)
    admin = app.editor()
    pending = f"/admin/readers/weekly/{ids['pat.pending@example.net']}"

    history = admin.get(pending)
    assert history.status_code == 200 and history.headers["cache-control"] == "no-store"
    assert "Yes please" in history.text  # the consent record's wording
    assert "Send the confirmation again" in history.text

    assert admin.act(pending + "/resend") == "Confirmation mail sent again."
    [(_sender, recipients, _data)] = smtp_server.handler.messages
    assert recipients == ["pat.pending@example.net"]
    assert "less than" in admin.act(pending + "/resend")  # within the resend window
    assert len(smtp_server.handler.messages) == 1
    confirmed = f"/admin/readers/weekly/{ids['ada.confirmed@example.net']}"
    assert "not waiting to confirm" in admin.act(confirmed + "/resend")

    assert admin.act(confirmed + "/suppress").startswith("Suppressed")
    with rt.sessions() as session:
        assert suppression.is_suppressed(session, "ada.confirmed@example.net")
    assert "Lift the suppression" in admin.get(confirmed).text
    assert admin.act(confirmed + "/lift").startswith("Suppression lifted")
    with rt.sessions() as session:
        assert not suppression.is_suppressed(session, "ada.confirmed@example.net")

    bounced = f"/admin/readers/weekly/{ids['hal.bounced@example.net']}"
    page = admin.get(bounced).text
    assert "hard bounce" in page and "550 gone" in page
    assert "Lift the suppression" not in page
    assert "not by hand" in admin.act(bounced + "/lift")  # the mailbox's own word stays
    with rt.sessions() as session:
        assert suppression.is_suppressed(session, "hal.bounced@example.net")

    assert admin.get("/admin/readers/weekly/999999").status_code == 404


def test_export_is_the_lists_csv(app: LiveApp, rt: pipeline.Runtime) -> None:
    _readers(rt)
    response = app.editor().http.get("/admin/readers/weekly/export.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    by_email = {row["email"]: row["status"] for row in rows}
    assert by_email["ada.confirmed@example.net"] == "confirmed"
    assert by_email["pat.pending@example.net"] == "pending"
    assert by_email["sam.blocked@example.net"] == "unsubscribed"  # kept out of imports elsewhere
    assert len(rows) == 6  # with the list's demo reader


def test_a_reader_of_another_list_is_not_found_here(app: LiveApp, rt: pipeline.Runtime) -> None:
    ids = _readers(rt)
    with rt.sessions.begin() as session:
        other, _ = membership.ensure_list(session, "other", "Other")
        sub, _ = membership.add_subscriber(
            session, other, "elsewhere@example.net", name=None, now=NOW - timedelta(days=1)
        )
    admin = app.editor()
    assert admin.get(f"/admin/readers/weekly/{sub.subscriber_id}").status_code == 404
    assert admin.get(f"/admin/readers/weekly/{ids['ada.confirmed@example.net']}").status_code == 200
