"""What a reader may type or tick, checked: names without control characters, real time zones,
topics and lists only from those on offer."""

from __future__ import annotations

import re
from collections.abc import Iterable

from subscribers import fields
from subscribers.fields import NAME_MAX, topics_on_offer
from subscribers.reader_words import Words
from subscribers.states import LeaveReason

__all__ = [
    "DETAIL_MAX",
    "REASON_LABELS",
    "FormProblem",
    "chosen",
    "clean_detail",
    "clean_leave_reason",
    "clean_name",
    "clean_timezone",
    "topics_on_offer",
]

# What the "why did you leave?" question offers, in the order shown.
REASON_LABELS: dict[LeaveReason, Words] = {
    LeaveReason.TOO_MANY: Words("Too many emails"),
    LeaveReason.NOT_RELEVANT: Words("Not relevant to me"),
    LeaveReason.TOO_LONG: Words("No time to read it"),
    LeaveReason.NEVER_SIGNED_UP: Words("I never signed up"),
    LeaveReason.OTHER: Words("Another reason"),
}
# What a refused choice says, by field.
_CHOOSE_SHOWN = {
    "lists": Words("Choose lists from those shown."),
    "topics": Words("Choose topics from those shown."),
}
DETAIL_MAX = 500  # characters of the reader's own words kept with an answer
# Control characters but tab and line breaks, lone surrogates, and the non-characters.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


class FormProblem(ValueError):
    """A field the reader must correct; the message says how (in the page's language)."""

    def __init__(self, field: str, message: Words) -> None:
        super().__init__(str(message))
        self.field = field
        self.message = message


def clean_name(value: str) -> str | None:
    """The name as given (spaces around it trimmed), None when empty."""
    value = value.strip()
    if len(value) > NAME_MAX:
        raise FormProblem(
            "name", Words("Your name may be at most %(max)s characters long.", max=NAME_MAX)
        )
    try:
        return fields.clean_name(value)
    except fields.FieldError:
        raise FormProblem(
            "name", Words("Your name may not contain line breaks or control characters.")
        ) from None


def clean_timezone(value: str) -> str | None:
    """An IANA zone such as Africa/Dakar, None when empty (the list's own zone)."""
    try:
        return fields.clean_timezone(value.strip())
    except fields.FieldError:
        raise FormProblem("timezone", Words("Choose a time zone such as Africa/Dakar.")) from None


def chosen(values: Iterable[str], offered: Iterable[str], field: str) -> list[str]:
    """The ticked values, each one of those offered (a forged value is refused)."""
    allowed = list(offered)
    picked = list(dict.fromkeys(values))
    unknown = [v for v in picked if v not in allowed]
    if unknown:
        raise FormProblem(field, _CHOOSE_SHOWN.get(field) or Words("Choose from those shown."))
    return [v for v in allowed if v in picked]


def clean_leave_reason(value: str) -> LeaveReason:
    try:
        return LeaveReason(value)
    except ValueError:
        raise FormProblem("reason", Words("Choose one of the reasons shown (or none).")) from None


def clean_detail(value: str) -> str | None:
    """The reader's own words: control characters dropped, line breaks kept (as \n), spaces
    around trimmed; None when empty; at most DETAIL_MAX characters, else a problem to fix."""
    text = _UNPRINTABLE.sub("", value.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if len(text) > DETAIL_MAX:
        raise FormProblem(
            "detail",
            Words(
                "Please keep it to %(max)s characters (this is %(length)s): shorten it and "
                "send again.",
                max=DETAIL_MAX,
                length=len(text),
            ),
        )
    return text or None
