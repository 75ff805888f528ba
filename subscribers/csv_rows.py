"""The CSV files of subscribers: their columns, each row read and checked, spreadsheet escapes."""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from subscribers.addresses import InvalidAddress
from subscribers.bulk_addresses import normalise_address_fast
from subscribers.csv_layouts import FIELDS, CsvFormatError, Layout, layout_of
from subscribers.fields import (
    FieldError,
    clean_name,
    clean_timezone,
    clean_topics,
    has_control_characters,
)
from subscribers.states import SubscriptionStatus

__all__ = [
    "COLUMNS",
    "TOPIC_SEPARATOR",
    "BadRow",
    "CsvFormatError",
    "ImportRow",
    "for_spreadsheet",
    "from_spreadsheet",
    "read_rows",
]

# What export writes and import reads; only email is required on import.
COLUMNS = FIELDS
# Topics are names such as "Northern Africa": a semicolon keeps them apart within one cell.
TOPIC_SEPARATOR = ";"
# A cell starting with one of these is a formula to a spreadsheet (CSV injection: a reader named
# '=HYPERLINK(...)' would run in the editor's spreadsheet). Export writes such a cell after an
# apostrophe, which spreadsheets show as text and hide; import takes that apostrophe off again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Column names hold none of these: the first one the header line holds separates the fields.
DELIMITERS = (",", ";", "\t")
# Why a row is pending when the operator did not vouch for the readers' consent.
NOT_VOUCHED = "no --confirmed given"
# A cell of a "left" column (a time, or true/false) that does not say the reader left.
NOT_LEFT = ("", "false", "0", "no")


@dataclass(frozen=True)
class ImportRow:
    line: int
    email: str
    name: str | None
    status: SubscriptionStatus  # the subscription's status once imported
    topics: list[str]
    timezone: str | None
    pending_reason: str | None = None  # why the row is pending, when it is


@dataclass(frozen=True)
class BadRow:
    line: int
    problem: str


def read_rows(
    lines: Iterable[str],
    *,
    offered_topics: frozenset[str],
    confirmed: bool,
    mapping: Mapping[str, str] | None = None,
) -> tuple[Layout, Iterator[ImportRow | BadRow]]:
    """The file's layout (read from its header line at once: a bad header raises
    CsvFormatError here), and each data row checked: an ImportRow, or a BadRow naming its line.

    Fields are separated by commas, or by semicolons or tabs when the header line is (as
    spreadsheets save CSV where the comma is the decimal separator)."""
    lines = iter(lines)
    first = next(lines, "")
    if not first.strip():
        raise CsvFormatError("the file is empty: expected a header line")
    delimiter = next((d for d in DELIMITERS if d in first), ",")
    reader = csv.reader(itertools.chain([first], lines), delimiter=delimiter)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise CsvFormatError(f"line 1: the header is not valid CSV: {exc}") from None
    layout = layout_of(header, mapping)
    return layout, _rows(reader, len(header), layout, offered_topics, confirmed)


def _rows(
    reader: Any,
    width: int,
    layout: Layout,
    offered_topics: frozenset[str],
    confirmed: bool,
) -> Iterator[ImportRow | BadRow]:
    while True:
        # A quoted field may span lines: a row is named by the line it starts on.
        line = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield BadRow(line, f"not valid CSV: {exc}")
            continue
        if not fields:
            continue  # a blank line
        try:
            yield _parse_row(line, fields, width, layout, offered_topics, confirmed)
        except (FieldError, InvalidAddress) as exc:
            yield BadRow(line, str(exc))


def _parse_row(
    line: int,
    fields: list[str],
    width: int,
    layout: Layout,
    offered_topics: frozenset[str],
    confirmed: bool,
) -> ImportRow | BadRow:
    if len(fields) != width:
        return BadRow(line, f"expected {width} fields as in the header, found {len(fields)}")

    def cell(position: int | None) -> str:
        return "" if position is None else from_spreadsheet(fields[position])

    raw_email = cell(layout.email)
    if "\ufffd" in "".join(fields):
        raise FieldError("not valid UTF-8 (save the file as UTF-8)")
    if has_control_characters(raw_email):
        raise FieldError("email contains control characters")
    if not raw_email.strip():
        raise FieldError("email is empty")
    email = normalise_address_fast(raw_email)
    status, reason = _status(layout, cell(layout.status).strip(), confirmed)
    if any(cell(i).strip().lower() not in NOT_LEFT for i in layout.left_when):
        status, reason = SubscriptionStatus.UNSUBSCRIBED, None
    name = " ".join(part for part in (cell(i).strip() for i in layout.name) if part)
    return ImportRow(
        line=line,
        email=email,
        name=clean_name(name),
        status=status,
        topics=clean_topics(cell(layout.topics).split(TOPIC_SEPARATOR), offered_topics),
        timezone=clean_timezone(cell(layout.timezone).strip()),
        pending_reason=reason,
    )


def _status(layout: Layout, word: str, confirmed: bool) -> tuple[SubscriptionStatus, str | None]:
    """The subscription's status from the row's own word and --confirmed, and why it is
    pending: only a row whose status says nothing or confirmed is confirmed by --confirmed."""
    if word:
        meant, known = layout.status_of(word.lower())
        if not known and layout.exporter.strict:
            raise FieldError(
                f"status {word.lower()!r} is not one of {', '.join(SubscriptionStatus)}"
            )
        if meant == SubscriptionStatus.UNSUBSCRIBED:
            return meant, None
        if meant != SubscriptionStatus.CONFIRMED:
            return SubscriptionStatus.PENDING, f"their status was {word!r}"
    if confirmed:
        return SubscriptionStatus.CONFIRMED, None
    return SubscriptionStatus.PENDING, NOT_VOUCHED


def for_spreadsheet(value: str) -> str:
    """The cell as text to a spreadsheet: a formula-like start is escaped with an apostrophe."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def from_spreadsheet(value: str) -> str:
    """What for_spreadsheet escaped, as it was."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_STARTS) else value
