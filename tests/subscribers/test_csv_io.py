"""CSV import and export against a real database: broken rows, unsubscribed and suppressed
addresses, confirmation, batches and the round trip."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from digest import db
from subscribers.csv_export import export_csv
from subscribers.csv_import import ImportReport, import_csv
from subscribers.csv_rows import BadRow, CsvFormatError
from subscribers.membership import add_subscriber, ensure_list, remove_subscriber
from subscribers.models import ConsentRecord, MailingList, Subscriber, Subscription
from subscribers.suppression import suppress

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
OFFERED = frozenset({"Northern Africa", "West Africa", "Health"})


@dataclass
class Store:
    engine: Engine
    sessions: sessionmaker[Session]
    list_id: int

    def run(
        self, text: str, *, confirmed: bool = False, batch_size: int = 5000
    ) -> tuple[ImportReport, list[BadRow]]:
        bad: list[BadRow] = []
        report = import_csv(
            self.engine,
            io.StringIO(text, newline=""),
            list_id=self.list_id,
            offered_topics=OFFERED,
            confirmed=confirmed,
            consent_wording="signed up at the Dakar book fair, 2026",
            now=NOW,
            on_bad_row=bad.append,
            batch_size=batch_size,
        )
        return report, bad

    def statuses(self) -> dict[str, str]:
        with self.sessions() as session:
            return {
                email: status
                for email, status in session.execute(
                    select(Subscriber.email, Subscription.status)
                    .join(Subscription)
                    .where(Subscription.list_id == self.list_id)
                )
            }

    def export(self) -> str:
        out = io.StringIO()
        with self.sessions() as session:
            export_csv(session, self.list_id, out)
        return out.getvalue()


def open_store(url: str) -> Iterator[Store]:
    engine = db.make_engine(url)
    db.upgrade(engine)
    sessions = db.session_factory(engine)
    with db.transaction(sessions) as session:
        mailing_list, _ = ensure_list(session, "weekly", "The Weekly")
        list_id = mailing_list.id
    try:
        yield Store(engine, sessions, list_id)
    finally:
        engine.dispose()


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    yield from open_store(database_url)


def test_broken_rows_are_reported_by_line_and_the_rest_is_imported(store: Store) -> None:
    text = (
        "Email,Name,Topics,Timezone\n"  # header names are case-insensitive, any order
        "ann@example.org,Ann,Northern Africa;Health,Africa/Dakar\n"
        "not-an-address,Bob,,\n"
        '"cy@example.org","Cy\nEvil: header",,\n'  # a name spanning lines 4-5
        "\n"
        "dee@example.org,Dee,Mars,\n"
        "eve@example.org,Eve,,Mars/Olympus\n"
        "fay@example.org,Fay\n"
        "gus@example.org,Gus\x00,,\n"
        "  Hal@Example.ORG ,,West Africa,\n"
    )
    report, bad = store.run(text)
    assert [(row.line, row.problem.split(":")[0]) for row in bad] == [
        (3, "'not-an-address' is not a valid email address"),
        (4, "name contains control characters (line breaks, tabs, NUL…)"),
        (7, "topic 'Mars' is not on offer (offered"),
        (8, "time zone 'Mars/Olympus' is not an IANA zone such as Africa/Dakar"),
        (9, "expected 4 fields as in the header, found 2"),
        (10, "name contains control characters (line breaks, tabs, NUL…)"),
    ]
    assert report.rows == 8 and report.bad_rows == 6
    assert report.added == {"confirmed": 0, "pending": 2, "unsubscribed": 0}
    assert store.statuses() == {"ann@example.org": "pending", "hal@example.org": "pending"}
    with store.sessions() as session:
        ann = session.scalars(select(Subscriber).where(Subscriber.email == "ann@example.org")).one()
        assert (ann.name, ann.topics, ann.timezone) == (
            "Ann",
            ["Northern Africa", "Health"],
            "Africa/Dakar",
        )


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("", "the file is empty: expected a header line"),
        ("mail,name\n", "line 1: no column of addresses among the file's columns: 'mail', 'name'"),
        ("name,topics\n", "line 1: no column of addresses among the file's columns: 'name',"),
        ("email,name,E-Mail\n", "line 1: column 'email' appears more than once"),
    ],
)
def test_a_bad_header_stops_the_import_before_any_row(
    store: Store, header: str, message: str
) -> None:
    with pytest.raises(CsvFormatError, match="^" + re.escape(message)):
        store.run(header + "ann@example.org,Ann,x\n" if header else "")
    assert store.statuses() == {}


def test_unsubscribed_suppressed_and_bounced_addresses_are_never_subscribed_again(
    store: Store,
) -> None:
    with db.transaction(store.sessions) as session:
        weekly = session.get_one(MailingList, store.list_id)
        add_subscriber(session, weekly, "left@example.org", name=None, now=NOW)
        remove_subscriber(session, weekly, "left@example.org", now=NOW)
        suppress(session, "complained@example.org", "complaint", NOW)
        add_subscriber(session, weekly, "blocked@example.org", name=None, now=NOW)
        suppress(session, "blocked@example.org", "manual", NOW)
        bounced = Subscriber(email="bounced@example.org", status="bounced", created_at=NOW)
        session.add(bounced)
        add_subscriber(session, weekly, "stays@example.org", name=None, now=NOW)
    report, bad = store.run(
        "email,status\n"
        "LEFT@example.org,confirmed\n"
        "complained@example.org,\n"
        "blocked@example.org,\n"
        "bounced@example.org,\n"
        "stays@example.org,unsubscribed\n"
        "new@example.org,\n",
        confirmed=True,
    )
    assert bad == []
    assert report.kept_unsubscribed == 1
    assert report.suppressed == 2
    assert report.inactive == 1
    assert report.now_unsubscribed == 1
    assert report.added == {"confirmed": 1, "pending": 0, "unsubscribed": 0}
    assert store.statuses() == {
        "left@example.org": "unsubscribed",
        "blocked@example.org": "confirmed",  # on the list, but suppressed: never mailed
        "stays@example.org": "unsubscribed",  # the file carried an unsubscribe: honoured
        "new@example.org": "confirmed",
    }
    with store.sessions() as session:
        records = session.execute(
            select(Subscriber.email, ConsentRecord.action, ConsentRecord.method)
            .join(ConsentRecord, ConsentRecord.subscriber_id == Subscriber.id)
            .where(ConsentRecord.method == "import")
            .order_by(Subscriber.email)
        ).all()
        wording = session.scalars(select(ConsentRecord.wording).limit(1)).one()
    assert [tuple(r) for r in records] == [
        ("new@example.org", "subscribe", "import"),
        ("stays@example.org", "unsubscribe", "import"),
    ]
    assert wording == "signed up at the Dakar book fair, 2026"


def test_only_the_operators_word_makes_imported_subscriptions_confirmed(store: Store) -> None:
    rows = "email,status\nann@example.org,confirmed\nbob@example.org,\n"
    report, _ = store.run(rows)
    assert report.added["pending"] == 2
    assert report.pending_why == {"no --confirmed given": 2}
    assert store.statuses() == {"ann@example.org": "pending", "bob@example.org": "pending"}
    report, _ = store.run(rows + "cy@example.org,pending\ndee@example.org,\n", confirmed=True)
    # Pending ones whose row says confirmed (or nothing) are confirmed now; a row saying
    # pending stays so, and the report says why.
    assert (report.confirmed_now, report.already_on_list) == (2, 0)
    assert report.pending_why == {"their status was 'pending'": 1}
    assert store.statuses() == {
        "ann@example.org": "confirmed",
        "bob@example.org": "confirmed",
        "cy@example.org": "pending",
        "dee@example.org": "confirmed",
    }
    with store.sessions() as session:
        times = {
            email: (created, confirmed, unsubscribed, origin)
            for email, created, confirmed, unsubscribed, origin in session.execute(
                select(
                    Subscriber.email,
                    Subscription.created_at,
                    Subscription.confirmed_at,
                    Subscription.unsubscribed_at,
                    Subscription.origin,
                ).join(Subscription)
            )
        }
    assert times["dee@example.org"] == (NOW, NOW, None, "import")
    assert times["cy@example.org"] == (NOW, None, None, "import")


def test_batches_commit_one_by_one_and_a_second_run_changes_nothing(store: Store) -> None:
    rows = (
        "email\n" + "".join(f"reader{i}@example.org\n" for i in range(7)) + "reader1@example.org\n"
    )
    report, _ = store.run(rows, confirmed=True, batch_size=3)
    assert report.added["confirmed"] == 7 and report.already_on_list == 1
    before = store.export()
    again, _ = store.run(rows, confirmed=True, batch_size=3)
    assert again.added == {"confirmed": 0, "pending": 0, "unsubscribed": 0}
    assert again.already_on_list == 8
    assert store.export() == before
    with store.sessions() as session:
        assert len(session.scalars(select(ConsentRecord.id)).all()) == 7


def test_export_writes_what_import_reads(store: Store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    store.run(
        "email,name,topics,timezone,status\n"
        'ann@example.org,"Ann, of Fès",Northern Africa;Health,Africa/Casablanca,\n'
        "bob@example.org,,,,pending\n"
        "cy@example.org,Cy,West Africa,,unsubscribed\n"
        "dee@example.org,,,,\n",
        confirmed=True,
    )
    with db.transaction(store.sessions) as session:
        suppress(session, "dee@example.org", "hard_bounce", NOW)  # suppressed after joining
    exported = store.export()
    assert exported.splitlines() == [
        "email,name,status,topics,timezone",
        'ann@example.org,"Ann, of Fès",confirmed,Northern Africa;Health,Africa/Casablanca',
        "bob@example.org,,pending,,",
        "cy@example.org,Cy,unsubscribed,West Africa,",
        "dee@example.org,,unsubscribed,,",  # bounced: never mailed elsewhere either
    ]
    for other in open_store(f"sqlite:///{tmp_path / 'other.db'}"):
        report, bad = other.run(exported, confirmed=True)
        assert bad == [] and report.rows == 4
        assert other.export() == exported
        assert other.statuses()["dee@example.org"] == "unsubscribed"
    # Back into the same list: nothing changes, the bounced reader's record included.
    report, _ = store.run(exported, confirmed=True)
    assert (report.already_on_list, report.kept_unsubscribed, report.suppressed) == (2, 1, 1)
    assert report.now_unsubscribed == 0 and store.statuses()["dee@example.org"] == "confirmed"


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_spreadsheets_semicolons_and_tabs_are_read_too(store: Store, delimiter: str) -> None:
    rows = [
        ["email", "name", "topics"],
        ["ann@example.org", "Ann, of Fès", '"Northern Africa;Health"'],
        ["bob@example.org", "Bob", ""],
    ]
    report, bad = store.run("\n".join(delimiter.join(row) for row in rows) + "\n")
    assert bad == [] and report.added["pending"] == 2
    assert store.export().splitlines()[1] == (
        'ann@example.org,"Ann, of Fès",pending,Northern Africa;Health,'
    )
