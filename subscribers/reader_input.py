"""What a reader may type or tick, checked: names without control characters, real time zones,
topics and lists only from those on offer."""

from __future__ import annotations

from collections.abc import Iterable

from subscribers import fields
from subscribers.fields import NAME_MAX, topics_on_offer

__all__ = ["FormProblem", "chosen", "clean_name", "clean_timezone", "topics_on_offer"]


class FormProblem(ValueError):
    """A field the reader must correct; the message says how."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def clean_name(value: str) -> str | None:
    """The name as given (spaces around it trimmed), None when empty."""
    value = value.strip()
    if len(value) > NAME_MAX:
        raise FormProblem("name", f"Your name may be at most {NAME_MAX} characters long.")
    try:
        return fields.clean_name(value)
    except fields.FieldError:
        raise FormProblem(
            "name", "Your name may not contain line breaks or control characters."
        ) from None


def clean_timezone(value: str) -> str | None:
    """An IANA zone such as Africa/Dakar, None when empty (the list's own zone)."""
    try:
        return fields.clean_timezone(value.strip())
    except fields.FieldError:
        raise FormProblem("timezone", "Choose a time zone such as Africa/Dakar.") from None


def chosen(values: Iterable[str], offered: Iterable[str], field: str) -> list[str]:
    """The ticked values, each one of those offered (a forged value is refused)."""
    allowed = list(offered)
    picked = list(dict.fromkeys(values))
    unknown = [v for v in picked if v not in allowed]
    if unknown:
        raise FormProblem(field, f"Choose {field} from those shown.")
    return [v for v in allowed if v in picked]
