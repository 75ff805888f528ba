"""The header layouts import reads: digest's own columns, other services' exports, or --map.

Column names are compared without case, spaces, underscores or hyphens, so "Email Address",
"email_address" and "EMAIL ADDRESS" are one column. A status word maps to our status; a word a
service uses for readers who never confirmed (or one we do not know) leaves the row pending,
and the import's summary names it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from digest.errors import DigestError
from subscribers.states import SubscriptionStatus

FIELDS = ("email", "name", "status", "topics", "timezone")

CONFIRMED = SubscriptionStatus.CONFIRMED
PENDING = SubscriptionStatus.PENDING
UNSUBSCRIBED = SubscriptionStatus.UNSUBSCRIBED


class CsvFormatError(DigestError):
    default_hint = f"the first line must name the columns, e.g. {','.join(FIELDS)}"


def column_key(name: str) -> str:
    """A column's name as compared: no case, no spaces, underscores or hyphens."""
    return "".join(c for c in name.lower() if not c.isspace() and c not in "_-")


@dataclass(frozen=True)
class Exporter:
    """A service's export: the columns that mark a file as its own, where each field is, and
    what its status words mean (None: the reader never confirmed there)."""

    name: str
    marks: frozenset[str]
    columns: Mapping[str, tuple[str, ...]]
    statuses: Mapping[str, SubscriptionStatus | None]
    # Columns whose non-empty cell means the reader left (Mailchimp's unsubscribed and
    # cleaned exports carry no status column, only the time they left).
    left_when: tuple[str, ...] = ()
    # A status word outside `statuses` is a bad row, not a pending one with its reason.
    strict: bool = False


DIGEST = Exporter(
    "digest",
    frozenset(),
    {field: (field,) for field in FIELDS},
    {"": None, **{status.value: status for status in SubscriptionStatus}},
    strict=True,
)
# Written from each service's documented export; tests/subscribers/exports/ has a file of each.
EXPORTERS = (
    Exporter(
        "Mailchimp",
        frozenset({"emailaddress"}),
        {"email": ("emailaddress",), "name": ("firstname", "lastname")},
        {
            "subscribed": CONFIRMED,
            "pending": None,
            "transactional": None,
            "nonsubscribed": None,
            "unsubscribed": UNSUBSCRIBED,
            "cleaned": UNSUBSCRIBED,
            "archived": UNSUBSCRIBED,
        },
        left_when=("unsubtime", "cleantime"),
    ),
    Exporter(
        "Substack",
        frozenset({"activesubscription", "emaildisabled"}),
        {"email": ("email",), "name": ("name",)},
        # Its export holds the readers on the list; email_disabled marks who stopped mails.
        {},
        left_when=("emaildisabled",),
    ),
    Exporter(
        "Buttondown",
        frozenset({"subscribertype"}),
        {"email": ("email", "emailaddress"), "name": ("name",), "status": ("subscribertype",)},
        {
            "regular": CONFIRMED,
            "premium": CONFIRMED,
            "gifted": CONFIRMED,
            "trialed": CONFIRMED,
            "pastdue": CONFIRMED,
            "churning": CONFIRMED,
            "unactivated": None,
            "unpaid": None,
            "paused": None,
            "unsubscribed": UNSUBSCRIBED,
            "churned": UNSUBSCRIBED,
            "removed": UNSUBSCRIBED,
            "spammy": UNSUBSCRIBED,
            "complained": UNSUBSCRIBED,
            "undeliverable": UNSUBSCRIBED,
            "blocked": UNSUBSCRIBED,
        },
    ),
    Exporter(
        "listmonk",
        frozenset({"attributes", "uuid"}),
        {
            "email": ("email",),
            "name": ("name",),
            # A list's export names the subscription's status; the subscriber's own is
            # enabled, disabled or blocklisted.
            "status": ("subscriptionstatus", "status"),
        },
        {
            "confirmed": CONFIRMED,
            "enabled": CONFIRMED,
            "unconfirmed": None,
            "disabled": None,
            "unsubscribed": UNSUBSCRIBED,
            "blocklisted": UNSUBSCRIBED,
        },
    ),
)


@dataclass(frozen=True)
class Layout:
    """Where the fields are in one file's rows, and how to read its status words."""

    exporter: Exporter
    email: int
    name: tuple[int, ...]
    status: int | None
    topics: int | None
    timezone: int | None
    left_when: tuple[int, ...]
    ignored: tuple[str, ...]  # the header's columns no field reads

    def status_of(self, word: str) -> tuple[SubscriptionStatus | None, bool]:
        """What the row's status word means, and whether it is known at all."""
        key = column_key(word) if self.exporter is not DIGEST else word
        if key in self.exporter.statuses:
            return self.exporter.statuses[key], True
        return None, False


def parse_map(text: str) -> dict[str, str]:
    """`email=COL,name=COL`: which of the file's columns holds each field."""
    mapping: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        field, sep, column = part.partition("=")
        field = field.strip().lower()
        if not sep or not column.strip():
            raise CsvFormatError(
                f"--map: {part!r} is not FIELD=COLUMN",
                hint="e.g. --map email=E-mail,name=Full name",
            )
        if field not in FIELDS:
            raise CsvFormatError(
                f"--map: unknown field {field!r}", hint=f"map some of: {', '.join(FIELDS)}"
            )
        mapping[field] = column.strip()
    if "email" not in mapping:
        raise CsvFormatError("--map: no email=COLUMN", hint="name the column holding addresses")
    return mapping


def layout_of(header: list[str], mapping: Mapping[str, str] | None = None) -> Layout:
    """The layout of a file with this header: --map's, else the export it looks like, else
    digest's own columns. Raises CsvFormatError naming the columns seen when no column holds
    the addresses."""
    keys = [column_key(name) for name in header]
    repeated = sorted({k for k in keys if k and keys.count(k) > 1})
    if repeated:
        raise CsvFormatError(f"line 1: column {repeated[0]!r} appears more than once")
    if mapping is not None:
        exporter = Exporter(
            "--map",
            frozenset(),
            {field: (column_key(column),) for field, column in mapping.items()},
            {**_EVERY_STATUS, **DIGEST.statuses},
        )
        missing = [c for c in mapping.values() if column_key(c) not in keys]
        if missing:
            raise CsvFormatError(
                f"line 1: --map names column {missing[0]!r}, which the file does not have"
                f" (its columns: {_seen(header)})",
                hint="give --map the column names of the file's first line",
            )
    else:
        exporter = next((e for e in EXPORTERS if e.marks & set(keys)), DIGEST)

    def first(field: str) -> int | None:
        return next((keys.index(k) for k in exporter.columns.get(field, ()) if k in keys), None)

    email = first("email")
    if email is None:
        raise CsvFormatError(
            f"line 1: no column of addresses among the file's columns: {_seen(header)}",
            hint="name it with --map email=COLUMN (and name=COLUMN…), or call it email",
        )
    name = tuple(keys.index(k) for k in exporter.columns.get("name", ()) if k in keys)
    left_when = tuple(keys.index(k) for k in exporter.left_when if k in keys)
    used = {email, *name, *left_when} | {
        i for i in (first("status"), first("topics"), first("timezone")) if i is not None
    }
    return Layout(
        exporter,
        email,
        name,
        first("status"),
        first("topics"),
        first("timezone"),
        left_when,
        tuple(h for i, h in enumerate(header) if i not in used),
    )


def _seen(header: list[str]) -> str:
    return ", ".join(repr(h) for h in header) if any(h.strip() for h in header) else "none"


# What a --map'd status column may say: every service's words.
_EVERY_STATUS = {word: status for e in EXPORTERS for word, status in e.statuses.items()}
