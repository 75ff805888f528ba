"""CSV import and export of a list's subscribers: streamed in batches, so memory stays flat."""

from __future__ import annotations

import copy
import csv
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, cast

from sqlalchemy import (
    Engine,
    Insert,
    String,
    Table,
    Text,
    case,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from digest import db
from digest.db import UTCDateTime
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
from subscribers.models import ConsentRecord, Subscriber, Subscription, Suppression
from subscribers.states import SubscriberStatus

# What export writes and import reads; only email is required on import.
COLUMNS = ("email", "name", "status", "topics", "timezone")
# Topics are names such as "Northern Africa": a semicolon keeps them apart within one cell.
TOPIC_SEPARATOR = ";"
ROW_STATUSES = ("", "pending", "confirmed", "unsubscribed")
# A cell starting with one of these is a formula to a spreadsheet (CSV injection: a reader named
# '=HYPERLINK(...)' would run in the editor's spreadsheet). Export writes such a cell after an
# apostrophe, which spreadsheets show as text and hide; import takes that apostrophe off again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Column names hold none of these: the first one the header line holds separates the fields.
DELIMITERS = (",", ";", "\t")
BATCH_SIZE = 5000
# Core inserts of plain rows: the ORM's bulk path splits a batch wherever a row's None
# columns differ from the one before and runs one statement per piece.
SUBSCRIBERS = cast(Table, Subscriber.__table__)
SUBSCRIPTIONS = cast(Table, Subscription.__table__)
CONSENT_RECORDS = cast(Table, ConsentRecord.__table__)


class CsvFormatError(DigestError):
    default_hint = f"the first line must name the columns, e.g. {','.join(COLUMNS)}"


@dataclass(frozen=True)
class ImportRow:
    line: int
    email: str
    name: str | None
    status: str  # the subscription's status once imported: pending, confirmed or unsubscribed
    topics: list[str]
    timezone: str | None


@dataclass(frozen=True)
class BadRow:
    line: int
    problem: str


@dataclass
class ImportReport:
    rows: int = 0
    added: dict[str, int] = field(
        default_factory=lambda: {"confirmed": 0, "pending": 0, "unsubscribed": 0}
    )
    already_on_list: int = 0
    # Unsubscribed from this list before: an import never brings them back.
    kept_unsubscribed: int = 0
    # The file says they unsubscribed elsewhere: their subscription here ends too.
    now_unsubscribed: int = 0
    suppressed: int = 0
    # Subscribers who bounced, complained or were blocked.
    inactive: int = 0
    bad_rows: int = 0


def import_csv(
    engine: Engine,
    lines: Iterable[str],
    *,
    list_id: int,
    offered_topics: frozenset[str],
    confirmed: bool,
    consent_wording: str,
    now: datetime,
    on_bad_row: Callable[[BadRow], None],
    batch_size: int = BATCH_SIZE,
) -> ImportReport:
    """Import rows into the list, one transaction per batch; bad rows go to on_bad_row.

    Rows become pending subscriptions unless `confirmed` (the operator holds the readers'
    prior consent) and the row does not say pending. Running it again changes nothing."""
    report = ImportReport()
    batch: dict[str, ImportRow] = {}
    for parsed in parse_rows(lines, offered_topics=offered_topics, confirmed=confirmed):
        report.rows += 1
        if isinstance(parsed, BadRow):
            report.bad_rows += 1
            on_bad_row(parsed)
            continue
        if parsed.email in batch:
            report.already_on_list += 1  # a repeat within the file: the first row counts
            continue
        batch[parsed.email] = parsed
        if len(batch) >= batch_size:
            report = _write_batch_retrying(engine, batch, list_id, consent_wording, now, report)
            batch = {}
    if batch:
        report = _write_batch_retrying(engine, batch, list_id, consent_wording, now, report)
    return report


def _write_batch_retrying(
    engine: Engine,
    batch: dict[str, ImportRow],
    list_id: int,
    wording: str,
    now: datetime,
    report: ImportReport,
) -> ImportReport:
    """The batch written, once more if a sign-up took one of its addresses meanwhile (on
    PostgreSQL, between the batch's reads and its inserts): the second pass finds them."""
    trial = copy.deepcopy(report)
    try:
        _write_batch(engine, batch, list_id, wording, now, trial)
    except IntegrityError:
        trial = copy.deepcopy(report)
        _write_batch(engine, batch, list_id, wording, now, trial)
    return trial


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
        return "" if position is None else _from_spreadsheet(fields[position])

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
        raise FieldError(f"status {row_status!r} is not one of pending, confirmed, unsubscribed")
    if row_status == "unsubscribed":
        status = "unsubscribed"
    elif confirmed and row_status != "pending":
        status = "confirmed"
    else:
        status = "pending"
    return ImportRow(
        line=line,
        email=email,
        name=clean_name(cell("name")),
        status=status,
        topics=clean_topics(cell("topics").split(TOPIC_SEPARATOR), offered_topics),
        timezone=clean_timezone(cell("timezone").strip()),
    )


def _write_batch(
    engine: Engine,
    batch: dict[str, ImportRow],
    list_id: int,
    wording: str,
    now: datetime,
    report: ImportReport,
) -> None:
    # The write lock up front on SQLite (BEGIN IMMEDIATE): a web request writing at the same
    # time would otherwise fail this batch after its reads with "database is locked".
    with db.claim_transaction(engine) as session:
        emails = list(batch)
        suppressed = set(
            session.scalars(select(Suppression.email).where(Suppression.email.in_(emails)))
        )
        report.suppressed += len(suppressed)
        known = {
            email: (subscriber_id, status)
            for subscriber_id, email, status in session.execute(
                select(Subscriber.id, Subscriber.email, Subscriber.status).where(
                    Subscriber.email.in_(emails)
                )
            )
        }
        new = [batch[email] for email in emails if email not in known and email not in suppressed]
        if new:
            session.execute(
                insert(SUBSCRIBERS),
                [
                    {
                        "email": row.email,
                        "name": row.name,
                        "status": "active",
                        "created_at": now,
                        "soft_bounces": 0,
                        "timezone": row.timezone,
                        "topics": row.topics,
                    }
                    for row in new
                ],
            )
            for subscriber_id, email in session.execute(
                select(Subscriber.id, Subscriber.email).where(
                    Subscriber.email.in_([row.email for row in new])
                )
            ):
                known[email] = (subscriber_id, SubscriberStatus.ACTIVE)
        ids = [subscriber_id for subscriber_id, _ in known.values()]
        on_list = {
            subscriber_id: status
            for subscriber_id, status in session.execute(
                select(Subscription.subscriber_id, Subscription.status).where(
                    Subscription.list_id == list_id, Subscription.subscriber_id.in_(ids)
                )
            )
        }
        joining: dict[str, list[int]] = defaultdict(list)  # new subscriptions by status
        consenting: dict[str, list[int]] = defaultdict(list)  # consent records by action
        ending: list[int] = []
        for email, row in batch.items():
            if email in suppressed:
                continue
            subscriber_id, subscriber_status = known[email]
            current = on_list.get(subscriber_id)
            if current == "unsubscribed":
                report.kept_unsubscribed += 1
            elif subscriber_status != "active":
                report.inactive += 1  # left as they are: no digest reaches them anyway
            elif current is not None and row.status == "unsubscribed":
                ending.append(subscriber_id)
                consenting["unsubscribe"].append(subscriber_id)
            elif current is not None:
                report.already_on_list += 1
            else:
                report.added[row.status] += 1
                joining[row.status].append(subscriber_id)
                action = "unsubscribe" if row.status == "unsubscribed" else "subscribe"
                consenting[action].append(subscriber_id)
        for status, ids in joining.items():
            session.execute(_subscriptions_of(ids, list_id, status, now))
        if ending:
            session.execute(
                update(Subscription)
                .where(Subscription.list_id == list_id, Subscription.subscriber_id.in_(ending))
                .values(status="unsubscribed", unsubscribed_at=now)
            )
            report.now_unsubscribed += len(ending)
        for action, ids in consenting.items():
            session.execute(_consents_of(ids, list_id, action, wording, now))


# Subscriptions and consent records are the same for every reader of a batch but the reader:
# one INSERT ... SELECT each, where an executemany would convert the same values per row.


def _subscriptions_of(ids: list[int], list_id: int, status: str, now: datetime) -> Insert:
    return insert(SUBSCRIPTIONS).from_select(
        [
            "subscriber_id",
            "list_id",
            "status",
            "origin",
            "created_at",
            "confirmed_at",
            "unsubscribed_at",
        ],
        select(
            SUBSCRIBERS.c.id,
            literal(list_id),
            literal(status, String()),
            literal("import", String()),
            literal(now, UTCDateTime()),
            literal(now if status == "confirmed" else None, UTCDateTime()),
            literal(now if status == "unsubscribed" else None, UTCDateTime()),
        ).where(SUBSCRIBERS.c.id.in_(ids)),
    )


def _consents_of(ids: list[int], list_id: int, action: str, wording: str, now: datetime) -> Insert:
    return insert(CONSENT_RECORDS).from_select(
        ["subscriber_id", "list_id", "action", "method", "wording", "created_at"],
        select(
            SUBSCRIBERS.c.id,
            literal(list_id),
            literal(action, String()),
            literal("import", String()),
            literal(wording, Text()),
            literal(now, UTCDateTime()),
        ).where(SUBSCRIBERS.c.id.in_(ids)),
    )


def export_csv(session: Session, list_id: int, out: IO[str], *, batch_size: int = 1000) -> int:
    """Write every subscription of the list (unsubscribed too, so an import elsewhere keeps
    them out) in the columns import reads; returns the number of rows written. Readers who
    bounced, complained or were blocked are written as unsubscribed, for the same reason."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    rows = session.execute(
        select(
            Subscriber.email,
            Subscriber.name,
            case((Subscriber.status != "active", "unsubscribed"), else_=Subscription.status),
            Subscriber.topics,
            Subscriber.timezone,
        )
        .join(Subscription, Subscription.subscriber_id == Subscriber.id)
        .where(Subscription.list_id == list_id)
        .order_by(Subscriber.id)
        .execution_options(yield_per=batch_size)
    )
    written = 0
    for email, name, status, topics, timezone in rows:
        writer.writerow(
            [
                _for_spreadsheet(value)
                for value in (
                    email,
                    name or "",
                    status,
                    TOPIC_SEPARATOR.join(topics or []),
                    timezone or "",
                )
            ]
        )
        written += 1
    return written


def _for_spreadsheet(value: str) -> str:
    """The cell as text to a spreadsheet: a formula-like start is escaped with an apostrophe."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _from_spreadsheet(value: str) -> str:
    """What _for_spreadsheet escaped, as it was."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_STARTS) else value
