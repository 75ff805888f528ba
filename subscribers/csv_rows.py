"""The CSV files of subscribers: their columns, each row read and checked, spreadsheet escapes."""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from digest.errors import DigestError
from subscribers.addresses import InvalidAddress
from subscribers.bulk_addresses import normalise_address_fast
from subscribers.fields import (
    FieldError,
    clean_name,
    clean_timezone,
    clean_topics,
    has_control_characters,
)
from subscribers.states import SubscriptionStatus

# What export writes and import reads; only email is required on import.
COLUMNS = ("email", "name", "status", "topics", "timezone")
# Topics are names such as "Northern Africa": a semicolon keeps them apart within one cell.
TOPIC_SEPARATOR = ";"
ROW_STATUSES = ("", *SubscriptionStatus)
# A cell starting with one of these is a formula to a spreadsheet (CSV injection: a reader named
# '=HYPERLINK(...)' would run in the editor's spreadsheet). Export writes such a cell after an
# apostrophe, which spreadsheets show as text and hide; import takes that apostrophe off again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Column names hold none of these: the first one the header line holds separates the fields.
DELIMITERS = (",", ";", "\t")


class CsvFormatError(DigestError):
    default_hint = f"the first line must name the columns, e.g. {','.join(COLUMNS)}"


@dataclass(frozen=True)
class ImportRow:
    line: int
    email: str
    name: str | None
    status: SubscriptionStatus  # the subscription's status once imported
    topics: list[str]
    timezone: str | None


@dataclass(frozen=True)
class BadRow:
    line: int
    problem: str


def parse_rows(
    lines: Iterable[str], *, offered_topics: frozenset[str], confirmed: bool
) -> Iterator[ImportRow | BadRow]:
    """Each data row of the file, checked: an ImportRow, or a BadRow naming its line.

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
    index = _columns(header)
    width = len(header)
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
            yield _parse_row(line, fields, width, index, offered_topics, confirmed)
        except (FieldError, InvalidAddress) as exc:
            yield BadRow(line, str(exc))


def _columns(header: list[str]) -> dict[str, int]:
    names = [name.strip().lower() for name in header]
    unknown = [name for name in names if name not in COLUMNS]
    if unknown:
        raise CsvFormatError(
            f"line 1: unknown column {unknown[0]!r} (expected some of: {', '.join(COLUMNS)})"
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise CsvFormatError(f"line 1: column {repeated[0]!r} appears more than once")
    if "email" not in names:
        raise CsvFormatError("line 1: no email column (the header names the columns)")
    return {name: position for position, name in enumerate(names)}


def _parse_row(
    line: int,
    fields: list[str],
    width: int,
    index: dict[str, int],
    offered_topics: frozenset[str],
    confirmed: bool,
) -> ImportRow | BadRow:
    if len(fields) != width:
        return BadRow(line, f"expected {width} fields as in the header, found {len(fields)}")

    def cell(column: str) -> str:
        position = index.get(column)
        return "" if position is None else from_spreadsheet(fields[position])

    raw_email = cell("email")
    if "\ufffd" in "".join(fields):
        raise FieldError("not valid UTF-8 (save the file as UTF-8)")
    if has_control_characters(raw_email):
        raise FieldError("email contains control characters")
    if not raw_email.strip():
        raise FieldError("email is empty")
    email = normalise_address_fast(raw_email)
    row_status = cell("status").strip().lower()
    if row_status not in ROW_STATUSES:
        raise FieldError(f"status {row_status!r} is not one of {', '.join(SubscriptionStatus)}")
    if row_status == SubscriptionStatus.UNSUBSCRIBED:
        status = SubscriptionStatus.UNSUBSCRIBED
    elif confirmed and row_status != SubscriptionStatus.PENDING:
        status = SubscriptionStatus.CONFIRMED
    else:
        status = SubscriptionStatus.PENDING
    return ImportRow(
        line=line,
        email=email,
        name=clean_name(cell("name")),
        status=status,
        topics=clean_topics(cell("topics").split(TOPIC_SEPARATOR), offered_topics),
        timezone=clean_timezone(cell("timezone").strip()),
    )


def for_spreadsheet(value: str) -> str:
    """The cell as text to a spreadsheet: a formula-like start is escaped with an apostrophe."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def from_spreadsheet(value: str) -> str:
    """What for_spreadsheet escaped, as it was."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_STARTS) else value
